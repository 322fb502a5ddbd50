#!/usr/bin/env bash
# Installs moto's server (pinned in versions.env) into a venv outside the repo:
# $S3VG_CACHE/moto-venv (default ~/.cache/s3-vpce-guard/moto-venv). Idempotent.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$script_dir/versions.env"

cache_root="${S3VG_CACHE:-$HOME/.cache/s3-vpce-guard}"
venv="$cache_root/moto-venv"
stamp="$venv/.moto-$MOTO_VERSION"

log() { printf '[moto] %s\n' "$*" >&2; }
fail() { log "FAILED at step '$1': $2"; exit 1; }

if [[ -f "$stamp" && -x "$venv/bin/moto_server" ]]; then
  log "moto $MOTO_VERSION: cached in $venv"
  echo "$venv/bin/moto_server"
  exit 0
fi

command -v python3 >/dev/null 2>&1 || fail "python" "python3 not found (apt-get install python3 python3-venv)"
if [[ ! -x "$venv/bin/python" ]]; then
  log "creating venv $venv"
  mkdir -p "$cache_root"
  if ! python3 -m venv "$venv"; then
    # Debian splits venv out; as root we can add it.
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
      log "python3 -m venv failed: installing python3-venv"
      rm -rf "$venv"
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null || fail "venv" "apt-get install python3-venv failed"
      python3 -m venv "$venv" || fail "venv" "python3 -m venv failed even with python3-venv installed"
    else
      fail "venv" "python3 -m venv failed (apt-get install python3-venv)"
    fi
  fi
fi
log "installing moto[server]==$MOTO_VERSION"
start=$(date +%s)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" \
  || fail "pip install" "pip could not install moto[server]==$MOTO_VERSION from PyPI"
rm -f "$venv"/.moto-*
touch "$stamp"
"$venv/bin/moto_server" --help >/dev/null 2>&1 || fail "moto check" "$venv/bin/moto_server --help does not run"
log "moto $MOTO_VERSION ready in $(( $(date +%s) - start ))s"
echo "$venv/bin/moto_server"
