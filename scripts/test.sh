#!/usr/bin/env bash
# The whole test suite: Node 24, dependencies, the control-plane binaries and moto for the
# integration tests, then build + every test. Set S3VG_SKIP_PREPARE=1 to use what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ -z "${S3VG_SKIP_PREPARE:-}" ]; then
  bash scripts/graphviz.sh || echo "test.sh: Graphviz could not be installed: the map DOT test will fail" >&2
  bash scripts/chromium.sh || echo "test.sh: Chromium could not be installed: the map browser test will skip (fail with S3VG_REQUIRE_INTEGRATION=1)" >&2
  # Needs Go (kube-apiserver, etcd, helm) and Python (moto). Without them the integration
  # tests skip with one line each, unless S3VG_REQUIRE_INTEGRATION=1 (CI) makes that fatal.
  if ! bash scripts/control-plane/prepare.sh; then
    [ -n "${S3VG_REQUIRE_INTEGRATION:-}" ] && exit 1
    echo "test.sh: control-plane binaries or moto could not be prepared: integration tests will skip" >&2
  fi
fi
report="$(mktemp -t s3vg-vitest-XXXXXX.json)"
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$report" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || echo "test.sh: no test report was written" >&2
rm -f "$report"
exit "$status"
