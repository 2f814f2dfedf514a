#!/usr/bin/env bash
# System packages the tests use, from Debian's archive: faketime (the fault matrix skews a CLI's
# wall clock with it). Installed when missing and we may (root, apt-get); otherwise says how.
set -euo pipefail
missing=()
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]} (Debian packages)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "system-deps: missing ${missing[*]}: install with 'sudo apt-get install ${missing[*]}' (the fault-matrix tests need it)" >&2
fi
