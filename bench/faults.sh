#!/usr/bin/env bash
# Fault injection with the real control plane, with numbers: runs every
# test/integration/faults-*.test.ts (API server outage, etcd compaction / 410 Gone, webhook
# and AWS faults, ...) against kube-apiserver + etcd, collects what each scenario measured
# (test/harness/fault-results.ts → S3VG_FAULT_RESULTS) and prints it as a Markdown table,
# also written to bench/results/faults.md with the machine line on top.
# The tests assert behaviour; a failing test makes this script exit non-zero after the table.
# Usage: bench/faults.sh [extra vitest args]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/control-plane/prepare.sh
# The suite imports src/ directly; dist/ is built for anything that spawns the CLI.
if [ ! -f dist/src/cli/main.js ] || [ -n "$(find src -newer dist/src/cli/main.js -name '*.ts' -print -quit)" ]; then
  npm run build
fi

results="$(mktemp "${TMPDIR:-/tmp}/s3vg-faults-XXXXXX.jsonl")"
trap 'rm -f "$results"' EXIT
export S3VG_FAULT_RESULTS="$results"
export S3VG_REQUIRE_INTEGRATION=1

shopt -s nullglob
files=(test/integration/faults-*.test.ts)
if [ ${#files[@]} -eq 0 ]; then
  echo "faults.sh: no test/integration/faults-*.test.ts" >&2
  exit 1
fi
machine="node $(node -p process.version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (before the run), $(date -u +%Y-%m-%dT%H:%MZ)"
start=$(date +%s)
status=0
npx vitest run --project integration "${files[@]}" "$@" || status=$?
took=$(( $(date +%s) - start ))

mkdir -p bench/results
table="$(node bench/faults-table.mjs "$results" \
  --header "Machine: $machine; load average after: $(cut -d' ' -f1-3 /proc/loadavg)" \
  --header "Files: ${files[*]}; took ${took} s; vitest exit code ${status}")"
printf '%s\n' "$table" | tee bench/results/faults.md
exit "$status"
