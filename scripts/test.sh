#!/usr/bin/env bash
# The whole test suite: Node 24, dependencies, the control-plane binaries and moto for the
# integration tests, then build + every test. Set S3VG_SKIP_PREPARE=1 to use what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ -z "${S3VG_SKIP_PREPARE:-}" ] && [ -x scripts/control-plane/prepare.sh ]; then
  scripts/control-plane/prepare.sh
fi
npm test
