#!/usr/bin/env bash
# Install (Node 24 if needed, npm ci, build) and run `s3-vpce-guard check` on the bundled
# examples. The violating examples make it exit 1: that is the point of them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
exec dist/src/bundle/main.cjs check "${@:-examples/}"
