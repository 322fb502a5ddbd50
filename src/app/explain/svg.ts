/**
 * `map --output svg`: the layout as one standalone SVG (XML), also the picture inside the HTML
 * page. Every text from the inputs (names, ids, policy paths) goes through `xml()`; ids and
 * classes are generated, never taken from the input. Pure.
 */

import { hasFindings, type LayoutNode, type MapLayout } from "./layout.js";
import { PASSAGE_COLORS, type Passage } from "./map.js";

/** Characters XML 1.0 does not allow in a document at all: replaced, not escaped. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text or attribute value: markup characters as entities. */
export function xml(text: string): string {
  return text
    .replace(NOT_XML, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export const LEVEL_COLORS = { deny: "#c62828", warn: "#ef6c00", audit: "#1565c0", none: "#90a4ae" } as const;

const PASSAGE_WORDS: Record<Passage, string> = {
  all: "all probe actions, every request",
  some: "some actions, or only under conditions",
  none: "nothing gets through",
  unknown: "undecided",
};

/** Each passage has its own line pattern too: the picture reads without telling colours apart. */
const DASHES: Record<Passage, string> = {
  all: "",
  some: ' stroke-dasharray="10 3"',
  none: ' stroke-dasharray="2 4"',
  unknown: ' stroke-dasharray="6 4"',
};

const FILLS: Record<LayoutNode["kind"], string> = { vpc: "#eceff1", endpoint: "#ffffff", bucket: "#ffffff", fold: "#f5f5f5" };

function worstLevel(node: LayoutNode): keyof typeof LEVEL_COLORS {
  const f = node.findings;
  return f.deny > 0 ? "deny" : f.warn > 0 ? "warn" : f.audit > 0 ? "audit" : "none";
}

function nodeSvg(node: LayoutNode): string {
  const level = worstLevel(node);
  const parts = [
    `<g class="node" id="${node.id}" data-kind="${node.kind}" data-key="${xml(node.key)}" data-level="${level}"${node.members !== undefined ? ` data-members="${node.members}"` : ""} tabindex="0">`,
    `<title>${xml(node.details.join("\n"))}</title>`,
    `<rect x="${node.x}" y="${node.y}" width="${node.w}" height="${node.h}" rx="${node.kind === "bucket" || node.kind === "fold" ? 12 : 4}" fill="${FILLS[node.kind]}" stroke="${LEVEL_COLORS[level]}" stroke-width="${level === "none" ? 1 : 2.5}"${node.kind === "fold" ? ' stroke-dasharray="5 3"' : ""}/>`,
  ];
  node.lines.forEach((line, i) => {
    parts.push(`<text x="${node.x + 10}" y="${node.y + 20 + 16 * i}"${i === 0 ? ' font-weight="bold"' : ""}>${xml(line)}</text>`);
  });
  if (hasFindings(node.findings)) {
    const f = node.findings;
    const counts = (["deny", "warn", "audit"] as const)
      .filter((l) => f[l] > 0)
      .map((l) => `<tspan fill="${LEVEL_COLORS[l]}">${l} ${f[l]}</tspan>`);
    parts.push(
      `<text class="findings" x="${node.x + 10}" y="${node.y + 20 + 16 * node.lines.length}" font-size="11">${counts.join(" · ")}</text>`,
    );
  }
  parts.push("</g>");
  return parts.join("");
}

function legendSvg(): string {
  const parts = [
    '<g class="legend">',
    '<text x="10" y="20" font-size="15" font-weight="bold">S3 endpoints: who can reach what</text>',
    '<text x="10" y="42" font-size="11">What gets through (probe actions, endpoint and bucket policies):</text>',
  ];
  let x = 10;
  (Object.keys(PASSAGE_COLORS) as Passage[]).forEach((p) => {
    const text = `${p}: ${PASSAGE_WORDS[p]}`;
    parts.push(
      `<g class="legend-passage" data-passage="${p}"><line x1="${x}" y1="58" x2="${x + 30}" y2="58" stroke="${PASSAGE_COLORS[p]}" stroke-width="3"${DASHES[p]}/><text x="${x + 36}" y="62" font-size="11">${text}</text></g>`,
    );
    x += 36 + Math.ceil(text.length * 6) + 24;
  });
  const levels = (["deny", "warn", "audit"] as const)
    .map((l) => `<tspan fill="${LEVEL_COLORS[l]}" font-weight="bold">${l}</tspan>`)
    .join(", ");
  parts.push(
    `<text x="10" y="82" font-size="11">Box border: the worst finding level of the object (${levels}); dashed box: folded buckets. Hover or click for the deciding statements.</text>`,
  );
  parts.push("</g>");
  return parts.join("");
}

/** What was folded or left out, in words (the page, the SVG and stderr say the same). */
export function foldSummary(layout: MapLayout): string[] {
  const lines: string[] = [];
  if (layout.folded.nodes > 0)
    lines.push(
      `${layout.folded.buckets} buckets folded into ${layout.folded.nodes} "+K buckets" node(s) (more than ${layout.options.fold} reached the same way in one namespace; --fold)`,
    );
  const { endpoints, buckets } = layout.notDrawn;
  if (endpoints + buckets > 0)
    lines.push(`not drawn, over ${layout.options.maxNodes} nodes (--max-nodes): ${endpoints} endpoint(s), ${buckets} bucket(s)`);
  if (layout.unevaluated > 0) lines.push(`${layout.unevaluated} endpoint→bucket pair(s) not evaluated (over the edge bound)`);
  return lines;
}

/** The picture: `standalone` adds the XML declaration (a file of its own). */
export function renderSvg(layout: MapLayout, standalone = true): string {
  const notes = foldSummary(layout);
  const height = layout.height + notes.length * 16;
  const parts: string[] = [];
  if (standalone) parts.push('<?xml version="1.0" encoding="UTF-8"?>');
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="s3vg-map" width="${layout.width}" height="${height}" viewBox="0 0 ${layout.width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    "<title>s3-vpce-guard map</title>",
    `<rect x="0" y="0" width="${layout.width}" height="${height}" fill="#ffffff"/>`,
    legendSvg(),
  );
  for (const g of layout.groups) {
    parts.push(
      `<g class="group" data-kind="${g.kind}"><rect x="${g.x}" y="${g.y}" width="${g.w}" height="${g.h}" rx="6" fill="${g.kind === "vpc" ? "#f3f6f9" : "#f9f7f1"}" stroke="#b0bec5"/><text x="${g.x + 8}" y="${g.y + 15}" font-size="11" fill="#455a64">${xml(g.label)}</text></g>`,
    );
  }
  for (const e of layout.edges) {
    const color = e.passage === "link" ? "#90a4ae" : PASSAGE_COLORS[e.passage];
    const dash = e.passage === "link" ? "" : DASHES[e.passage];
    // A wide transparent twin: the thin line is hard to hover.
    parts.push(
      `<g class="edge" id="${e.id}" data-from="${e.from}" data-to="${e.to}" data-passage="${e.passage}" tabindex="0"><title>${xml(e.details.join("\n"))}</title>` +
        `<path d="${e.d}" fill="none" stroke="transparent" stroke-width="10"/><path d="${e.d}" fill="none" stroke="${color}" stroke-width="${e.passage === "link" ? 1.5 : 2.5}"${dash}/></g>`,
    );
  }
  for (const node of layout.nodes) parts.push(nodeSvg(node));
  notes.forEach((line, i) =>
    parts.push(`<text class="fold-note" x="10" y="${layout.height + 4 + 16 * i}" font-size="12" fill="#6d4c41">${xml(line)}</text>`),
  );
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
