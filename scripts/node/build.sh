#!/usr/bin/env bash
# Builds the node binaries of the end-to-end cluster from Go modules: kubelet,
# kube-controller-manager, kube-scheduler and kubectl, from the same k8s.io/kubernetes release
# as kube-apiserver (scripts/control-plane/versions.env) and in one `go build` so they share
# the Go build cache with it. Installs the Debian packages the node runs on (containerd 1.6,
# runc, CNI plugins; scripts/node/host-packages.sh). Binaries land in
# $S3VG_CACHE/bin/node-k8s-<version>/, built only when missing. The last line printed is that
# directory.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../control-plane/versions.env
source "$script_dir/../control-plane/versions.env"

cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
bin_dir="$cache_root/bin/node-k8s-${KUBERNETES_VERSION}"
work_root="$cache_root/build"
binaries=(kubelet kube-controller-manager kube-scheduler kubectl)

log() { printf '[node build] %s\n' "$*" >&2; }
step_log_prefix="$work_root/node-"
# shellcheck source=../lib/build-steps.sh
source "$script_dir/../lib/build-steps.sh"

bash "$script_dir/host-packages.sh" node

all_built() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done
}

if ! all_built; then
  command -v go >/dev/null 2>&1 || fail "toolchain" "go not found (expected /usr/local/go/bin/go, Go >= 1.26)"
  mkdir -p "$bin_dir" "$work_root"
  dir="$work_root/kubernetes-node-$KUBERNETES_VERSION"
  mod_file="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$mod_file" ]] || fail "kubernetes go.mod" "could not download k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy"
  # A wrapper module like scripts/control-plane/build.sh's: every staging module that
  # k8s.io/kubernetes requires at v0.0.0 points at its published twin.
  required="$(awk '/^require/,/^\)/' "$mod_file")"
  rm -rf "$dir"; mkdir -p "$dir"
  {
    printf 'module s3vg.local/build\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\ngodebug default=go1.26\n\nreplace (\n' "$KUBERNETES_VERSION"
    grep -E '=> \./staging/' "$mod_file" | awk '{print $1}' | while read -r staging; do
      if grep -qE "^[[:space:]]*${staging//./\\.} v0\.0\.0" <<<"$required"; then
        printf '\t%s => %s %s\n' "$staging" "$staging" "$KUBERNETES_STAGING_VERSION"
      fi
    done
    printf ')\n'
  } >"$dir/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for b in "${binaries[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
    printf ')\n'
  } >"$dir/tools.go"
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for version_pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $version_pkg.gitVersion=$KUBERNETES_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor"
    ldflags+=" -X $version_pkg.gitTreeState=clean -X $version_pkg.buildDate=1970-01-01T00:00:00Z"
  done
  log "$KUBERNETES_VERSION: resolving modules (go mod tidy)"
  (cd "$dir" && timed run_step "go mod tidy" go mod tidy)
  log "$KUBERNETES_VERSION: compiling ${binaries[*]} (cold: about 15 min on 2 cores after kube-apiserver)"
  out="$bin_dir/.tmp"; rm -rf "$out"; mkdir -p "$out"
  packages=()
  for b in "${binaries[@]}"; do packages+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$dir" && timed run_step "go build" go build -ldflags="$ldflags" -o "$out/" "${packages[@]}")
  for b in "${binaries[@]}"; do mv "$out/$b" "$bin_dir/$b"; done
  rm -rf "$out"
fi

# The sandbox image: the pause binary from pause/main.go in an empty image, as an OCI archive
# keyed by the source's hash (ctr imports it into the node's containerd).
pause_key="$(sha256sum "$script_dir/pause/main.go" | cut -c1-12)"
pause_archive="$bin_dir/pause-$pause_key.oci.tar"
if [[ ! -f "$pause_archive" ]]; then
  command -v go >/dev/null 2>&1 || fail "toolchain" "go not found (expected /usr/local/go/bin/go, Go >= 1.26)"
  log "sandbox image: building pause ($pause_key)"
  work="$(mktemp -d)"
  (cd "$script_dir/pause" && GO111MODULE=off go build -ldflags="-s -w" -o "$work/pause" main.go)
  ctr="$(buildah from scratch)"
  buildah copy --quiet "$ctr" "$work/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 "$ctr"
  buildah commit --quiet --rm "$ctr" "localhost/s3vg-pause:$pause_key" >/dev/null
  buildah push --quiet "localhost/s3vg-pause:$pause_key" "oci-archive:$pause_archive.tmp:localhost/s3vg-pause:$pause_key"
  mv "$pause_archive.tmp" "$pause_archive"
  rm -rf "$work"
fi

for b in "${binaries[@]}"; do
  "$bin_dir/$b" --version >/dev/null 2>&1 || { [[ "$b" == kubectl ]] && "$bin_dir/$b" version --client >/dev/null 2>&1; } \
    || fail "$b check" "$bin_dir/$b does not run"
done
log "ready: $("$bin_dir/kubelet" --version), containerd $(containerd --version | awk '{print $3}'), $(runc --version | head -1)"
echo "$bin_dir"
