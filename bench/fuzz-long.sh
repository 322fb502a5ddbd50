#!/usr/bin/env bash
# The suite's property and fuzz tests, longer and with fresh seeds: the counts are multiplied
# by FUZZ_SCALE (default 100: 30,000 cases for a 300-case test) and each test's seed is moved
# by FUZZ_SEED (default: a random one, printed first). A failure prints fast-check's seed and
# path; re-run with the same FUZZ_SEED and FUZZ_SCALE to replay it.
# Usage: bench/fuzz-long.sh [FUZZ_SCALE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
export FUZZ_SCALE="${1:-${FUZZ_SCALE:-100}}"
export FUZZ_SEED="${FUZZ_SEED:-$RANDOM$RANDOM}"
echo "FUZZ_SCALE=$FUZZ_SCALE FUZZ_SEED=$FUZZ_SEED"
[ -d node_modules ] || npm ci --no-audit --no-fund
start=$(date +%s)
npx vitest run --project unit --testTimeout=0 \
  test/fuzz test/iam/properties.test.ts test/iam/differential.test.ts test/adapters/adapt.test.ts test/cli/load.test.ts
echo "took $(( $(date +%s) - start )) s"
