#!/usr/bin/env bash
# Builds the integration-test control plane binaries from Go modules:
# kube-apiserver, etcd, helm (and kubectl when S3VG_BUILD_KUBECTL=1).
# Binaries land in $S3VG_CACHE/bin/<version key>/ (default cache
# ~/.cache/s3-vpce-guard), outside the repo; each is rebuilt only when missing.
# The last line printed is the bin dir.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$script_dir/versions.env"

cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
version_key="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
bin_dir="$cache_root/bin/$version_key"
work_root="$cache_root/build"

log() { printf '[control-plane build] %s\n' "$*" >&2; }
step_log_prefix="$work_root/"
# shellcheck source=../lib/build-steps.sh
source "$script_dir/../lib/build-steps.sh"

command -v go >/dev/null 2>&1 || fail "toolchain" "go not found (expected /usr/local/go/bin/go, Go >= 1.26)"
mkdir -p "$bin_dir" "$work_root"


# Creates a throwaway wrapper module in $1 whose go.mod requires $2@$3 plus
# any extra lines given on stdin, then resolves the graph for the package $4.
prepare_wrapper_module() {
  local dir="$1" module="$2" version="$3" package="$4" extra="$5"
  rm -rf "$dir"; mkdir -p "$dir"
  {
    printf 'module s3vg.local/build\n\ngo 1.26.0\n\nrequire %s %s\n' "$module" "$version"
    printf '%s\n' "$extra"
  } >"$dir/go.mod"
  # A tools-style file so that 'go mod tidy' keeps the main package's deps.
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >"$dir/tools.go"
}


kubernetes_replaces() {
  # k8s.io/kubernetes replaces every staging module with ./staging/src/...;
  # a wrapper module must point each one it requires at the published twin.
  local mod_file
  mod_file="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$mod_file" ]] || return 1
  local required
  required="$(awk '/^require/,/^\)/' "$mod_file")"
  printf 'godebug default=go1.26\n\nreplace (\n'
  grep -E '=> \./staging/' "$mod_file" | awk '{print $1}' | while read -r staging; do
    if grep -qE "^[[:space:]]*${staging//./\\.} v0\.0\.0" <<<"$required"; then
      printf '\t%s => %s %s\n' "$staging" "$staging" "$KUBERNETES_STAGING_VERSION"
    fi
  done
  printf ')\n'
}

build_kubernetes_binaries() {
  local dir="$work_root/kubernetes-$KUBERNETES_VERSION" replaces
  replaces="$(kubernetes_replaces)" || fail "kubernetes go.mod" "could not download k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy"
  prepare_wrapper_module "$dir" k8s.io/kubernetes "$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kube-apiserver "$replaces"
  if [[ "${S3VG_BUILD_KUBECTL:-0}" == 1 ]]; then
    printf 'import _ "k8s.io/kubernetes/cmd/kubectl"\n' >>"$dir/tools.go"
  fi
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local ldflags="-s -w"
  local version_pkg
  for version_pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $version_pkg.gitVersion=$KUBERNETES_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor"
    ldflags+=" -X $version_pkg.gitTreeState=clean -X $version_pkg.buildDate=1970-01-01T00:00:00Z"
  done
  log "kube-apiserver $KUBERNETES_VERSION: resolving modules (go mod tidy)"
  (cd "$dir" && timed run_step "kube-apiserver go mod tidy" go mod tidy)
  if [[ ! -x "$bin_dir/kube-apiserver" ]]; then
    log "kube-apiserver $KUBERNETES_VERSION: compiling (cold build takes 10-25 min on 2 cores)"
    (cd "$dir" && timed run_step "kube-apiserver go build" go build -ldflags="$ldflags" -o "$bin_dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
    mv "$bin_dir/kube-apiserver.tmp" "$bin_dir/kube-apiserver"
  fi
  if [[ "${S3VG_BUILD_KUBECTL:-0}" == 1 && ! -x "$bin_dir/kubectl" ]]; then
    log "kubectl $KUBERNETES_VERSION: compiling"
    (cd "$dir" && timed run_step "kubectl go build" go build -ldflags="$ldflags" -o "$bin_dir/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl)
    mv "$bin_dir/kubectl.tmp" "$bin_dir/kubectl"
  fi
}

build_etcd() {
  local dir="$work_root/etcd-$ETCD_VERSION"
  prepare_wrapper_module "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 ""
  log "etcd $ETCD_VERSION: resolving modules"
  (cd "$dir" && timed run_step "etcd go mod tidy" go mod tidy)
  log "etcd $ETCD_VERSION: compiling"
  (cd "$dir" && timed run_step "etcd go build" go build -ldflags="-s -w" -o "$bin_dir/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$bin_dir/etcd.tmp" "$bin_dir/etcd"
}

build_helm() {
  local dir="$work_root/helm-$HELM_VERSION"
  prepare_wrapper_module "$dir" "$HELM_MODULE" "$HELM_VERSION" "$HELM_MODULE/cmd/helm" ""
  log "helm $HELM_VERSION: resolving modules"
  (cd "$dir" && timed run_step "helm go mod tidy" go mod tidy)
  log "helm $HELM_VERSION: compiling"
  (cd "$dir" && timed run_step "helm go build" go build -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" -o "$bin_dir/helm.tmp" "$HELM_MODULE/cmd/helm")
  mv "$bin_dir/helm.tmp" "$bin_dir/helm"
}

log "bin dir: $bin_dir"
if [[ -x "$bin_dir/etcd" ]]; then log "etcd: cached"; else build_etcd; fi
if [[ -x "$bin_dir/kube-apiserver" && ( "${S3VG_BUILD_KUBECTL:-0}" != 1 || -x "$bin_dir/kubectl" ) ]]; then
  log "kube-apiserver: cached"
else
  build_kubernetes_binaries
fi
if [[ -x "$bin_dir/helm" ]]; then log "helm: cached"; else build_helm; fi

"$bin_dir/etcd" --version >/dev/null 2>&1 || fail "etcd check" "$bin_dir/etcd --version does not run"
"$bin_dir/kube-apiserver" --version >/dev/null 2>&1 || fail "kube-apiserver check" "$bin_dir/kube-apiserver --version does not run"
"$bin_dir/helm" version --short >/dev/null 2>&1 || fail "helm check" "$bin_dir/helm version does not run"
log "ready: $("$bin_dir/kube-apiserver" --version), etcd $("$bin_dir/etcd" --version | head -1 | awk '{print $3}'), helm $("$bin_dir/helm" version --short)"
echo "$bin_dir"
