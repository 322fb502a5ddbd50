#!/usr/bin/env bash
# Builds the peers of the side-by-side benchmarks from Go modules: gator, conftest, opa and the
# Kyverno CLI for `check` (bench/peers/run.mjs), Gatekeeper's controller manager for the webhook
# (bench/peers/webhook.sh; with it its deploy/gatekeeper.yaml, for the CRDs). Each lands in
# $S3VG_CACHE/peers/<name>-<version>/<binary> (default cache ~/.cache/s3-vpce-guard) and is
# built only when missing. Run by hand or by the benchmark's operator, never by the test suite.
#
#   bench/peers/build.sh [gator] [conftest] [opa] [kyverno] [gatekeeper]
#   (default: the first four, in that order; gatekeeper only when named)
#
# Builds are niced and run with one compile job (S3VG_PEERS_JOBS, default 1) so they leave the
# CPU to other work; a cold build takes ~4-8 min per fast peer and ~20-40 min for Kyverno.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$script_dir/versions.env"

cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
peers_root="$cache_root/peers"
work_root="$cache_root/build/peers"
jobs="${S3VG_PEERS_JOBS:-1}"

log() { printf '[peers build] %s\n' "$*" >&2; }
step_log_prefix="$work_root/"
# shellcheck source=../../scripts/lib/build-steps.sh
source "$script_dir/../../scripts/lib/build-steps.sh"

command -v go >/dev/null 2>&1 || fail "toolchain" "go not found (expected /usr/local/go/bin/go)"
mkdir -p "$peers_root" "$work_root"

# `go install module/cmd@version` into the cache dir $1/, named $2.
go_install() {
  local out_dir="$1" binary="$2" package="$3" version="$4" ldflags="$5"
  mkdir -p "$out_dir"
  local tmp_bin="$work_root/gobin-$binary"
  rm -rf "$tmp_bin"; mkdir -p "$tmp_bin"
  log "$binary $version: go install (cold build takes several minutes)"
  timed run_step "$binary go install" env GOBIN="$tmp_bin" nice -n 10 go install -p "$jobs" -ldflags="$ldflags" "$package@$version"
  mv "$tmp_bin/$binary" "$out_dir/$binary"
}

build_gator() {
  local dir="$peers_root/gator-$GATOR_VERSION"
  if [[ -x "$dir/gator" ]]; then log "gator: cached ($dir)"; return; fi
  go_install "$dir" gator github.com/open-policy-agent/gatekeeper/v3/cmd/gator "$GATOR_VERSION" \
    "-s -w -X github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version=$GATOR_VERSION"
}

# The manager, built from the module root (main.go), and the release manifest of the same tag
# from the module source: its CRDs are what the manager needs in the API server.
build_gatekeeper() {
  local dir="$peers_root/gatekeeper-$GATEKEEPER_VERSION"
  if [[ -x "$dir/gatekeeper" && -f "$dir/gatekeeper.yaml" ]]; then log "gatekeeper: cached ($dir)"; return; fi
  go_install "$dir" gatekeeper github.com/open-policy-agent/gatekeeper/v3 "$GATEKEEPER_VERSION" \
    "-s -w -X github.com/open-policy-agent/gatekeeper/v3/pkg/version.Version=$GATEKEEPER_VERSION"
  local module_dir
  module_dir="$(go mod download -json "github.com/open-policy-agent/gatekeeper/v3@$GATEKEEPER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [[ -f "$module_dir/deploy/gatekeeper.yaml" ]] || fail "gatekeeper download" "no deploy/gatekeeper.yaml in $module_dir"
  install -m 0644 "$module_dir/deploy/gatekeeper.yaml" "$dir/gatekeeper.yaml"
}

build_conftest() {
  local dir="$peers_root/conftest-$CONFTEST_VERSION"
  if [[ -x "$dir/conftest" ]]; then log "conftest: cached ($dir)"; return; fi
  go_install "$dir" conftest github.com/open-policy-agent/conftest "$CONFTEST_VERSION" \
    "-s -w -X github.com/open-policy-agent/conftest/internal/version.Version=${CONFTEST_VERSION#v}"
}

build_opa() {
  local dir="$peers_root/opa-$OPA_VERSION"
  if [[ -x "$dir/opa" ]]; then log "opa: cached ($dir)"; return; fi
  go_install "$dir" opa github.com/open-policy-agent/opa "$OPA_VERSION" \
    "-s -w -X github.com/open-policy-agent/opa/v1/version.Version=${OPA_VERSION#v}"
}

# Kyverno's go.mod has replace directives (a pod-security-admission fork), which `go install
# module@version` refuses; build ./cmd/cli/kubectl-kyverno inside a writable copy of the module.
build_kyverno() {
  local dir="$peers_root/kyverno-$KYVERNO_VERSION"
  if [[ -x "$dir/kyverno" ]]; then log "kyverno: cached ($dir)"; return; fi
  local module_dir src="$work_root/kyverno-$KYVERNO_VERSION"
  log "kyverno $KYVERNO_VERSION: fetching the module source"
  module_dir="$(go mod download -json "github.com/kyverno/kyverno@$KYVERNO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [[ -d "$module_dir" ]] || fail "kyverno download" "go mod download github.com/kyverno/kyverno@$KYVERNO_VERSION gave no source dir"
  rm -rf "$src"; cp -r "$module_dir" "$src"; chmod -R u+w "$src"
  mkdir -p "$dir"
  log "kyverno $KYVERNO_VERSION: compiling ./cmd/cli/kubectl-kyverno (cold build ~20-40 min, ~400 MB binary)"
  (cd "$src" && timed run_step "kyverno go build" nice -n 10 go build -p "$jobs" \
    -ldflags="-s -w -X github.com/kyverno/kyverno/pkg/version.BuildVersion=$KYVERNO_VERSION" \
    -o "$dir/kyverno.tmp" ./cmd/cli/kubectl-kyverno)
  mv "$dir/kyverno.tmp" "$dir/kyverno"
  rm -rf "$src"
}

# One build per peer at a time: a second build.sh waits for the first, then finds the binary.
with_lock() {
  local peer="$1"; shift
  exec {lock_fd}>"$peers_root/.$peer.lock"
  flock "$lock_fd"
  "$@"
  exec {lock_fd}>&-
}

peers=("$@")
[[ ${#peers[@]} -gt 0 ]] || peers=(gator conftest opa kyverno)
for peer in "${peers[@]}"; do
  case "$peer" in
    gator) with_lock gator build_gator ;;
    conftest) with_lock conftest build_conftest ;;
    opa) with_lock opa build_opa ;;
    kyverno) with_lock kyverno build_kyverno ;;
    gatekeeper) with_lock gatekeeper build_gatekeeper ;;
    *) fail "arguments" "unknown peer '$peer' (expected gator, conftest, opa, kyverno or gatekeeper)" ;;
  esac
done

for peer in "${peers[@]}"; do
  case "$peer" in
    gator) log "ready: $("$peers_root/gator-$GATOR_VERSION/gator" --version 2>&1 | head -1)" ;;
    conftest) log "ready: $("$peers_root/conftest-$CONFTEST_VERSION/conftest" --version 2>&1 | head -1)" ;;
    opa) log "ready: opa $("$peers_root/opa-$OPA_VERSION/opa" version 2>&1 | head -1)" ;;
    kyverno) log "ready: $("$peers_root/kyverno-$KYVERNO_VERSION/kyverno" version 2>&1 | head -1)" ;;
    gatekeeper) log "ready: gatekeeper $GATEKEEPER_VERSION ($peers_root/gatekeeper-$GATEKEEPER_VERSION)" ;;
  esac
done
echo "$peers_root"
