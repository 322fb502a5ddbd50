#!/usr/bin/env bash
# Chromium for the `map --output html` browser test (test/explain/map-browser.test.ts renders the page
# headless) and for scripts/map-screenshot.sh (docs/map.png).
set -euo pipefail
have() { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }
have && exit 0
if [ "$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }
else sudo apt-get install -y --no-install-recommends chromium >/dev/null || { sudo apt-get update >/dev/null && sudo apt-get install -y --no-install-recommends chromium >/dev/null; }; fi
have
