#!/usr/bin/env bash
# Reports and Events at fleet scale against the real control plane (bench/reports-scale.run.ts):
# creates N objects, starts the real `reconcile` process, prints time to all reports written,
# report count and largest size, API requests by verb/resource in the first minutes, RSS, and
# a leader change. Table also written to bench/results/reports-scale-N.md.
# Usage: bench/reports-scale.sh [objects=10000] [window seconds=300] [failover seconds=60]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/control-plane/prepare.sh
if [ ! -f dist/src/cli/main.js ] || [ -n "$(find src -newer dist/src/cli/main.js -name '*.ts' -print -quit)" ]; then
  npm run build
fi
export S3VG_SCALE_OBJECTS="${1:-10000}" S3VG_SCALE_WINDOW_S="${2:-300}" S3VG_SCALE_FAILOVER_S="${3:-60}"
exec npx vitest run --config bench/reports-scale.config.ts --reporter=verbose
