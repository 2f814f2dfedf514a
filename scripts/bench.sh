#!/usr/bin/env bash
# npm run bench: prints evalap-infra's ratios against plain tofu (see bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/toolchain.sh
bash scripts/s3-server.sh >/dev/null
toolchain="${EVALAP_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evalap-infra/toolchain}"
# shellcheck source=/dev/null
source "$toolchain/env.sh"
npm run --silent build
node bench/deploy.mjs
node bench/rollback.mjs
