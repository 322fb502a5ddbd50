/**
 * `map --output html`: one self-contained page (no network: the SVG, the style and the script
 * are inline). Hover or click a node or an edge: the side panel shows its details (the deciding
 * statements of each probe action, the findings), taken from the element's SVG <title> with
 * textContent, so nothing from the inputs is ever parsed as markup. Pure.
 */

import { sha256Base64 } from "../../core/util/sha256.js";
import type { MapLayout } from "./layout.js";
import { foldSummary, renderSvg, xml } from "./svg.js";

const STYLE = `
body { margin: 0; font-family: Helvetica, Arial, sans-serif; color: #263238; background: #fafafa; }
header { padding: 8px 16px; border-bottom: 1px solid #cfd8dc; background: #fff; }
header h1 { font-size: 18px; margin: 4px 0; }
header p { margin: 4px 0; font-size: 13px; }
header .fold-note { color: #6d4c41; }
main { display: flex; align-items: flex-start; gap: 12px; padding: 12px; }
#map { flex: 1 1 auto; overflow: auto; background: #fff; border: 1px solid #cfd8dc; }
#details { flex: 0 0 360px; position: sticky; top: 12px; max-height: calc(100vh - 24px); overflow: auto; background: #fff; border: 1px solid #cfd8dc; padding: 8px 12px; }
#details h2 { font-size: 14px; margin: 4px 0 8px; overflow-wrap: anywhere; }
#details pre { font-size: 12px; white-space: pre-wrap; word-break: break-word; margin: 0; }
g.node, g.edge { cursor: pointer; outline: none; }
g.node:hover rect, g.node:focus rect, g.node.pinned rect { filter: drop-shadow(0 0 3px #37474f); }
g.edge:hover path:last-of-type, g.edge:focus path:last-of-type, g.edge.pinned path:last-of-type { stroke-width: 5; }
`;

// Plain DOM, no framework: textContent only (never innerHTML), so names from manifests stay text.
const SCRIPT = `
(() => {
  const title = document.getElementById("details-title");
  const body = document.getElementById("details-body");
  let pinned = null;
  const show = (g) => {
    const t = g.querySelector(":scope > title");
    const lines = (t ? t.textContent : "").split("\\n");
    title.textContent = lines[0];
    body.textContent = lines.slice(1).join("\\n");
  };
  for (const g of document.querySelectorAll("g.node, g.edge")) {
    g.addEventListener("mouseenter", () => { if (!pinned) show(g); });
    g.addEventListener("focus", () => show(g));
    g.addEventListener("click", () => {
      if (pinned) pinned.classList.remove("pinned");
      pinned = pinned === g ? null : g;
      if (pinned) { g.classList.add("pinned"); show(g); }
    });
  }
  // map.html#e4: opens with that edge (or node) selected, e.g. to link to it.
  const chosen = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (chosen && chosen.matches("g.node, g.edge")) chosen.dispatchEvent(new MouseEvent("click"));
})();
`;

/** The page runs its own script only: a script that slipped in with a name would not run either. */
const SCRIPT_HASH = `sha256-${sha256Base64(SCRIPT)}`;

function summaryLine(layout: MapLayout): string {
  const { vpcs, endpoints, buckets } = layout.counts;
  const edges = layout.edges.filter((e) => e.passage !== "link");
  const by = (p: string) => edges.filter((e) => e.passage === p).length;
  return `${vpcs} VPC(s), ${endpoints} S3 endpoint(s), ${buckets} bucket(s); endpoint→bucket edges drawn: ${edges.length} (all ${by("all")}, some ${by("some")}, none ${by("none")}, unknown ${by("unknown")})`;
}

export function renderHtml(layout: MapLayout): string {
  const notes = foldSummary(layout).map((line) => `<p class="fold-note">${xml(line)}</p>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'">
<title>s3-vpce-guard map</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>S3 endpoints: who can reach what</h1>
<p class="summary">${xml(summaryLine(layout))}</p>
${notes.join("\n")}
</header>
<main>
<div id="map">
${renderSvg(layout, false)}</div>
<aside id="details"><h2 id="details-title">Details</h2><pre id="details-body">Hover or click a box or an edge: the deciding statements of each probe action and the findings of the object.</pre></aside>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
