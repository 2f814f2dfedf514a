#!/usr/bin/env bash
# Makes OpenTofu and the Scaleway provider available with no network but the Go module proxy.
#
# - tofu: the one on PATH when it is recent enough, else built from its Go module through a small
#   wrapper module (OpenTofu's go.mod has a `replace` directive, which `go install mod@version`
#   refuses, so the wrapper repeats it).
# - the Scaleway provider: `go install`ed from its module into a filesystem mirror.
# - actionlint: built from its Go module, for the workflow tests.
# - a tofu CLI config that points `tofu init` at that mirror, so init works offline.
#
# Everything goes to a cache outside git ($EVALAP_TOOLCHAIN_DIR, default ~/.cache/evalap-infra).
# The script is idempotent: a second run with everything in place takes well under a second.
# It ends by writing $EVALAP_TOOLCHAIN_DIR/env.sh, which `source` puts tofu on PATH and sets
# TF_CLI_CONFIG_FILE and TF_PLUGIN_CACHE_DIR.
set -euo pipefail

TOFU_VERSION="${EVALAP_TOFU_VERSION:-1.12.6}"
TOFU_MIN="1.11.0"
PROVIDER_VERSION="${EVALAP_SCALEWAY_PROVIDER_VERSION:-2.81.0}"
# actionlint checks the GitHub Actions workflows (.github/workflows, templates/); its latest
# version on the Go module proxy is v1.7.12 (github.com/rhysd/actionlint).
ACTIONLINT_VERSION="${EVALAP_ACTIONLINT_VERSION:-1.7.12}"
CACHE="${EVALAP_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evalap-infra/toolchain}"
OS_ARCH="$(go env GOOS)_$(go env GOARCH)"

BIN="$CACHE/bin"
MIRROR="$CACHE/providers"
PROVIDER_DIR="$MIRROR/registry.opentofu.org/scaleway/scaleway/$PROVIDER_VERSION/$OS_ARCH"
PROVIDER_BIN="$PROVIDER_DIR/terraform-provider-scaleway_v$PROVIDER_VERSION"
mkdir -p "$BIN" "$PROVIDER_DIR" "$CACHE/plugin-cache"

log() { printf 'toolchain: %s\n' "$*" >&2; }

# version_ge A B: true when version A >= version B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

tofu_version_of() { "$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p' | head -n1; }

# shellcheck source=lib/go-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-build.sh"

ensure_tofu() {
  local target="$BIN/tofu"
  if [ -x "$target" ] && [ "$(tofu_version_of "$target")" = "$TOFU_VERSION" ]; then return; fi
  local onpath
  onpath="$(PATH="${PATH//$BIN:/}" command -v tofu || true)"
  if [ -n "$onpath" ]; then
    local v; v="$(tofu_version_of "$onpath")"
    if [ -n "$v" ] && version_ge "$v" "$TOFU_MIN"; then
      log "using tofu $v from $onpath"
      ln -sf "$onpath" "$target"
      return
    fi
  fi
  log "building OpenTofu $TOFU_VERSION from its Go module (a few minutes, once)"
  build_from_module github.com/opentofu/opentofu "$TOFU_VERSION" \
    github.com/opentofu/opentofu/cmd/tofu "$target" "-X github.com/opentofu/opentofu/version.dev=no"
}

ensure_provider() {
  if [ -x "$PROVIDER_BIN" ]; then return; fi
  log "building the Scaleway provider $PROVIDER_VERSION from its Go module (a few minutes, once)"
  build_from_module github.com/scaleway/terraform-provider-scaleway/v2 "$PROVIDER_VERSION" \
    github.com/scaleway/terraform-provider-scaleway/v2 "$PROVIDER_BIN"
}

ensure_actionlint() {
  local target="$BIN/actionlint"
  if [ -x "$target" ] && "$target" -version 2>/dev/null | head -n1 | grep -qx "v\?$ACTIONLINT_VERSION"; then return; fi
  log "building actionlint $ACTIONLINT_VERSION from its Go module (under a minute, once)"
  build_from_module github.com/rhysd/actionlint "$ACTIONLINT_VERSION" \
    github.com/rhysd/actionlint/cmd/actionlint "$target" \
    "-X github.com/rhysd/actionlint.version=v$ACTIONLINT_VERSION"
}

write_config() {
  cat > "$CACHE/tofurc" <<HCL
# Written by scripts/toolchain.sh: the Scaleway provider comes from a local mirror, so
# tofu init needs no registry.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.opentofu.org/scaleway/scaleway"]
  }
  direct {
    exclude = ["registry.opentofu.org/scaleway/scaleway"]
  }
}
HCL
  cat > "$CACHE/env.sh" <<SH
# Written by scripts/toolchain.sh; source it to use the offline OpenTofu toolchain.
export EVALAP_TOOLCHAIN_DIR="$CACHE"
export PATH="$BIN:\$PATH"
export TF_CLI_CONFIG_FILE="$CACHE/tofurc"
export TF_PLUGIN_CACHE_DIR="$CACHE/plugin-cache"
export EVALAP_TOFU_BIN="$BIN/tofu"
export EVALAP_ACTIONLINT_BIN="$BIN/actionlint"
SH
}

case "${1:-all}" in
  tofu) ensure_tofu ;;
  provider) ensure_provider ;;
  actionlint) ensure_actionlint ;;
  all) ensure_tofu; ensure_provider; ensure_actionlint ;;
  *) echo "usage: $0 [all|tofu|provider|actionlint]" >&2; exit 64 ;;
esac
write_config
log "tofu $(tofu_version_of "$BIN/tofu" || echo missing), scaleway provider $PROVIDER_VERSION, actionlint $ACTIONLINT_VERSION ready in $CACHE"
