#!/usr/bin/env bash
# docs/map.png for the README: `map --output html` of examples/explain/ in headless Chromium
# (scripts/chromium.sh installs it). Usage: bash scripts/map-screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
out="$(realpath -m "${1:-docs/map.png}")"
bash scripts/chromium.sh
browser="$(command -v chromium || command -v chromium-browser)"
npm run build >/dev/null
work="$(mktemp -d -t s3vg-map-shot-XXXXXX)"
trap 'rm -rf "$work"' EXIT
node dist/src/cli/main.js map --output html examples/explain/ > "$work/map.html"
# The page is the SVG's height plus the header and margins.
height="$(grep -o '<svg [^>]*height="[0-9.]*"' "$work/map.html" | grep -o 'height="[0-9.]*"' | head -1 | tr -dc '0-9.')"
height=$(( ${height%.*} + 112 ))
# Opened with the first "some" edge selected: the side panel shows its deciding statements.
edge="$(grep -o '<g class="edge" id="e[0-9]*"[^>]*data-passage="some"' "$work/map.html" | head -1 | grep -o 'id="e[0-9]*"' | tr -dc 'e0-9')"
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size="1560,$height" --screenshot="$out" "file://$work/map.html#$edge" 2>/dev/null >/dev/null
echo "wrote $out (1560x$height)"
