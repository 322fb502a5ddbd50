#!/usr/bin/env bash
# Builds promql-check (main.go beside this script) against the pinned Prometheus
# PromQL parser from Go modules. The binary lands in
# $S3VG_CACHE/bin/promql-check_<prometheus version>_<main.go hash>/ (default cache
# ~/.cache/s3-vpce-guard), outside the repo, and is rebuilt only when missing.
# The last line printed is the binary's path.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$script_dir/versions.env"

cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
# The source hash is part of the key, so an edit of main.go never runs a stale binary.
source_hash="$(sha256sum "$script_dir/main.go" | cut -c1-12)"
bin_dir="$cache_root/bin/promql-check_${PROMETHEUS_VERSION}_${source_hash}"
binary="$bin_dir/promql-check"
work_dir="$cache_root/build/promql-check-$PROMETHEUS_VERSION"

log() { printf '[promql-check build] %s\n' "$*" >&2; }
step_log_prefix="$work_dir."
# shellcheck source=../lib/build-steps.sh
source "$script_dir/../lib/build-steps.sh"



if [[ -x "$binary" ]]; then
  log "cached: $binary"
else
  command -v go >/dev/null 2>&1 || fail "toolchain" "go not found (expected /usr/local/go/bin/go, Go >= 1.26)"
  mkdir -p "$bin_dir" "$(dirname "$work_dir")"
  rm -rf "$work_dir"; mkdir -p "$work_dir"
  printf 'module s3vg.local/promql-check\n\ngo 1.26.0\n\nrequire %s %s\n' "$PROMETHEUS_MODULE" "$PROMETHEUS_VERSION" >"$work_dir/go.mod"
  cp "$script_dir/main.go" "$work_dir/main.go"
  log "prometheus $PROMETHEUS_VERSION: resolving modules (go mod tidy)"
  (cd "$work_dir" && timed run_step "promql-check go mod tidy" go mod tidy)
  log "promql-check: compiling"
  (cd "$work_dir" && timed run_step "promql-check go build" go build -ldflags="-s -w" -o "$binary.tmp" .)
  mv "$binary.tmp" "$binary"
fi

printf '[]' | "$binary" >/dev/null 2>&1 || fail "promql-check check" "$binary does not run"
echo "$binary"
