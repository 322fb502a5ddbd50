#!/usr/bin/env bash
# Our webhook beside Gatekeeper's under the same load (bench/peers/webhook.run.ts): builds
# Gatekeeper's manager once (bench/peers/build.sh gatekeeper, ~4-8 min cold) and the control
# plane's binaries (scripts/control-plane/prepare.sh), then prints throughput, server CPU per
# request, p50/p99 at one rate and RSS for both. Never run by the test suite.
# Usage: bench/peers/webhook.sh   (S3VG_PEER_ROUNDS=4, S3VG_PEER_SECONDS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/node24.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/control-plane/prepare.sh
bash bench/peers/build.sh gatekeeper
npm run build
exec npx vitest run --config bench/peers/webhook.config.ts --reporter=verbose
