#!/usr/bin/env bash
# Builds the S3-compatible server the test suite runs on 127.0.0.1: Versity S3 Gateway
# (github.com/versity/versitygw, Apache-2.0), posix backend. It implements conditional writes
# (PutObject with If-None-Match: * and If-Match: <etag>), bucket versioning, path-style
# addressing and static root credentials, which is what the deployment lock, the release
# ledger and OpenTofu's `s3` backend with `use_lockfile = true` need.
#
# Built from its Go module (the only route this machine has), through a small wrapper module
# that repeats any `replace` directives of the module's go.mod (which `go install mod@version`
# refuses) and pins the exact version (the proxy serves no version list for some modules).
# The binary goes to a cache outside git:
#   ${EVALAP_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evalap-infra/toolchain}/bin/versitygw-<version>
# with a `versitygw` symlink beside it. Idempotent: when the binary is there it returns at once.
# The binary's path is the last line of stdout; logs go to stderr.
set -euo pipefail

VERSION="${EVALAP_VERSITYGW_VERSION:-1.8.0}"
MODULE="github.com/versity/versitygw"
PKG="$MODULE/cmd/versitygw"
CACHE="${EVALAP_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evalap-infra/toolchain}"
BIN="$CACHE/bin"
TARGET="$BIN/versitygw-$VERSION"
LINK="$BIN/versitygw"

log() { printf 's3-server: %s\n' "$*" >&2; }

# shellcheck source=lib/go-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-build.sh"

mkdir -p "$BIN"
if [ ! -x "$TARGET" ]; then
  command -v go >/dev/null || { log "go is not installed: cannot build versitygw"; exit 1; }
  log "building versitygw $VERSION from its Go module (a few minutes, once)"
  start=$(date +%s)
  build_from_module "$MODULE" "$VERSION" "$PKG" "$TARGET" \
    "-X main.Version=v$VERSION -X main.Build=evalap-infra"
  log "built versitygw $VERSION in $(( $(date +%s) - start ))s"
fi
if [ "$(readlink "$LINK" 2>/dev/null || true)" != "versitygw-$VERSION" ]; then
  ln -sfn "versitygw-$VERSION" "$LINK"
fi
echo "$TARGET"
