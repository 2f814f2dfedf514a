# Sourced by test.sh and bench.sh: makes the offline toolchain and the S3 test server available
# (built once, then cached) and puts them in this shell's environment.
bash "$(dirname "${BASH_SOURCE[0]}")/../toolchain.sh"
bash "$(dirname "${BASH_SOURCE[0]}")/../s3-server.sh" >/dev/null
bash "$(dirname "${BASH_SOURCE[0]}")/../system-deps.sh"
toolchain="${EVALAP_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evalap-infra/toolchain}"
# shellcheck source=/dev/null
source "$toolchain/env.sh"
