#!/usr/bin/env bash
# Installs the Debian packages the image build and the one-node cluster need, when missing:
# buildah + mmdebstrap (scripts/image.sh), containerd 1.6 + runc + CNI plugins (the node).
# Needs root and Debian's apt; a no-op when everything is there.
#   scripts/node/host-packages.sh image   # only what scripts/image.sh needs
#   scripts/node/host-packages.sh node    # image + node
set -euo pipefail

want="${1:-node}"
packages=(buildah mmdebstrap)
commands=(buildah mmdebstrap)
if [[ "$want" == node ]]; then
  packages+=(containerd runc containernetworking-plugins iptables)
  commands+=(containerd runc /usr/lib/cni/bridge iptables)
fi

missing=0
for c in "${commands[@]}"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || missing=1
done
[[ "$missing" == 0 ]] && exit 0

if [[ "$(id -u)" != 0 ]]; then
  echo "host-packages: missing some of ${packages[*]}; run as root: apt-get install -y ${packages[*]}" >&2
  exit 1
fi
echo "host-packages: apt-get install ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
