#!/usr/bin/env bash
# npm run bench: prints evalap-infra's ratios against plain tofu, and how soon a release answering
# 500 starts being rolled back with the default health config (see bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/toolchain-env.sh
source scripts/lib/toolchain-env.sh

npm run --silent build
node bench/deploy.mjs
node bench/rollback.mjs
node bench/failfast.mjs
node bench/sandbox.mjs
node bench/rotate.mjs
node bench/restore.mjs
node bench/migrate.mjs
