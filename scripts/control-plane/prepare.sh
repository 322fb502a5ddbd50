#!/usr/bin/env bash
# Builds/installs everything the integration tests need (cached outside the
# repo; a warm run takes seconds). Called by .ci/run before the tests.
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$script_dir/build.sh"
bash "$script_dir/moto.sh" >/dev/null
bash "$script_dir/../promql-check/build.sh" >/dev/null
bash "$script_dir/../prometheus/build.sh" >/dev/null
