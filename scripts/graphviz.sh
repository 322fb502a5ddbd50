#!/usr/bin/env bash
# Graphviz for the `map --output dot` test (test/explain/map.test.ts parses the DOT with dot -Tsvg).
set -euo pipefail
command -v dot >/dev/null && exit 0
if [ "$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends graphviz >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends graphviz >/dev/null; }
else sudo apt-get install -y --no-install-recommends graphviz >/dev/null; fi
command -v dot >/dev/null
