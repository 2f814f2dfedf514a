#!/usr/bin/env bash
# The project's test command (`npm test`): makes the offline toolchain available (built once,
# then cached), builds the CLI, and runs every test with a JSON report for CI's counts.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/toolchain-env.sh
source scripts/lib/toolchain-env.sh

npm run --silent build
mkdir -p reports
exec npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json "$@"
