# Sourced by the toolchain scripts. Needs $CACHE and a log function.
#
# build_from_module MODULE VERSION PACKAGE OUTPUT [LDFLAGS]: builds PACKAGE of MODULE@VERSION from
# the Go module proxy in a small wrapper module that requires it and repeats its `replace`
# directives (which `go install mod@version` refuses, as for OpenTofu). Pinning the exact version
# also works where the proxy serves no version list (the Scaleway provider).
build_from_module() {
  local module="$1" version="$2" pkg="$3" out="$4" ldflags="${5:-}"
  local wrap="$CACHE/build/$(basename "$module")-$version"
  mkdir -p "$wrap"
  local gomod
  gomod="$(cd "$wrap" && GOFLAGS=-mod=mod go mod download -json "$module@v$version" | sed -n 's/.*"GoMod": *"\([^"]*\)".*/\1/p')"
  if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
    log "could not download $module@v$version from the Go module proxy"
    return 1
  fi
  {
    echo "module evalap-infra/toolchain-wrapper"
    echo
    grep -E '^go [0-9.]+$' "$gomod"
    echo
    echo "require $module v$version"
    echo
    grep -E '^replace ' "$gomod" || true
  } > "$wrap/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$wrap/tools.go"
  (
    cd "$wrap"
    go mod tidy >&2
    go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp.$$" "$pkg"
  )
  mv -f "$out.tmp.$$" "$out"
}
