#!/usr/bin/env bash
# Builds promtool and prometheus (cmd/promtool, cmd/prometheus) from the Prometheus Go
# module pinned in scripts/promql-check/versions.env — the same version whose PromQL parser
# promql-check uses — for the alert tests (test/alerts/). Both land in
# $S3VG_CACHE/bin/prometheus_<module version>/ (default cache ~/.cache/s3-vpce-guard),
# outside the repo, and are rebuilt only when missing. The last line printed is that directory.
#
# `go install <cmd>@<version>` resolves dependencies from Prometheus' own go.mod, so the
# binaries are what that release's sources build, with two differences from the released
# tarballs:
#   - no `builtinassets` tag: the web UI is not embedded (its JS bundle is not in the Go
#     module). The UI pages answer HTTP 500 "Error opening React index.html"; the HTTP API
#     (/api/v1/alerts, /api/v1/rules, /api/v1/query, /-/ready) is unaffected.
#   - `remove_all_sd`: only static, file and http service discovery (the tests scrape a
#     static target), so the cloud SD plugins are not compiled.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../promql-check/versions.env
source "$script_dir/../promql-check/versions.env"

cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
bin_dir="$cache_root/bin/prometheus_${PROMETHEUS_VERSION}"
work_dir="$cache_root/build/prometheus-$PROMETHEUS_VERSION"

log() { printf '[prometheus build] %s\n' "$*" >&2; }
step_log_prefix="$work_dir."
# shellcheck source=../lib/build-steps.sh
source "$script_dir/../lib/build-steps.sh"

if [[ -x "$bin_dir/promtool" && -x "$bin_dir/prometheus" ]]; then
  log "cached: $bin_dir"
else
  command -v go >/dev/null 2>&1 || fail "toolchain" "go not found (expected /usr/local/go/bin/go, Go >= 1.26)"
  mkdir -p "$(dirname "$work_dir")"
  rm -rf "$work_dir" "$bin_dir.tmp"; mkdir -p "$work_dir" "$bin_dir.tmp"
  # Module v0.MNN.P is Prometheus M.NN.P (v0.316.0 is 3.16.0): the tag scheme since 3.0.
  module_minor="$(cut -d. -f2 <<<"$PROMETHEUS_VERSION")"
  release="$((10#$module_minor / 100)).$((10#$module_minor % 100)).$(cut -d. -f3 <<<"$PROMETHEUS_VERSION")"
  ldflags="-s -w -X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Revision=$PROMETHEUS_VERSION -X github.com/prometheus/common/version.Branch=gomodule"
  log "prometheus $release ($PROMETHEUS_MODULE $PROMETHEUS_VERSION): compiling promtool and prometheus (cold build: 18 min on 2 busy cores, 100 MB of binaries)"
  (cd "$work_dir" && export GOBIN="$bin_dir.tmp" && timed run_step "prometheus go install" \
    go install -tags netgo,remove_all_sd -ldflags="$ldflags" \
      "$PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION" "$PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_VERSION")
  rm -rf "$bin_dir"; mv "$bin_dir.tmp" "$bin_dir"
fi

"$bin_dir/promtool" --version >/dev/null 2>&1 || fail "promtool check" "$bin_dir/promtool does not run"
"$bin_dir/prometheus" --version >/dev/null 2>&1 || fail "prometheus check" "$bin_dir/prometheus does not run"
echo "$bin_dir"
