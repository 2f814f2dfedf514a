#!/usr/bin/env bash
# The project's test command (`npm test`): makes the offline toolchain available (built once,
# then cached), builds the CLI, and runs every test with a JSON report for CI's counts.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/toolchain.sh
bash scripts/s3-server.sh >/dev/null
toolchain="${EVALAP_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evalap-infra/toolchain}"
# shellcheck source=/dev/null
source "$toolchain/env.sh"

npm run --silent build
mkdir -p reports
exec npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json "$@"
