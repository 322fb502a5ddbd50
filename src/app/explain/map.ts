/**
 * `map`: VPCs → S3 endpoints (with their route tables) → buckets, each endpoint→bucket edge
 * marked by what of the probe actions gets through (the endpoint and bucket layers of
 * `explain`). Pure: the graph, and its DOT and Mermaid texts.
 */

import type { Inventory } from "../../core/inventory/inventory.js";
import { describeRef } from "../../core/model/refs.js";
import type { Endpoint } from "../../core/model/types.js";
import { isS3Endpoint } from "../../core/rules/policy-views.js";
import { explain, type ActionExplanation, type Outcome } from "./explain.js";

export type Passage = "all" | "some" | "none" | "unknown";

/** Why one probe action gets through an edge or not (hover/click in the HTML, tooltips in SVG). */
export interface EdgeAction {
  action: string;
  outcome: Outcome;
  conditions: string[];
  layers: { layer: string; decision: string; sources: string[]; statements: { source: string; path: string; sid?: string }[] }[];
  notes: string[];
}

export interface MapGraph {
  vpcs: { id: string; endpoints: string[] }[];
  endpoints: { key: string; label: string; id?: string; type: string; region?: string; namespace?: string; routeTables: string[] }[];
  /**
   * resource: the Bucket object ("Bucket ns/name"); namespace: its namespace; unevaluated: its
   * endpoint pairs left out over the edge bound (a missing edge then says nothing).
   */
  buckets: { key: string; name: string; region?: string; resource?: string; namespace?: string; unevaluated?: number }[];
  edges: { from: string; to: string; passage: Passage; actions: Record<string, string>; why: EdgeAction[] }[];
  /** Endpoint→bucket pairs left out over MAX_EDGES (large inventories stay drawable). */
  folded: number;
}

/** Edges drawn at most; Graphviz and Mermaid stay usable well below this. */
export const MAX_EDGES = 500;

/**
 * Endpoint→bucket pairs asked at most for html/svg: they fold what they draw, so they can
 * afford more questions (each is an `explain`; 5,000 take about 8 s on one core).
 */
export const MAX_EDGES_FOLDED = 5000;

const UNKNOWN_VPC = "(VPC unknown)";

function routeTablesOf(endpoint: Endpoint, inventory: Inventory): string[] {
  const ids = new Set<string>();
  for (const r of endpoint.routeTables) if (r.value) ids.add(r.value);
  for (const id of endpoint.observedRouteTableIds) ids.add(id);
  for (const a of inventory.routeTableAssociationsFor(endpoint)) if (a.routeTable.value) ids.add(a.routeTable.value);
  return [...ids].sort();
}

export function buildMap(inventory: Inventory, actions: readonly string[], maxEdges = MAX_EDGES): MapGraph {
  // Sorted: the same inputs draw the same graph whatever order they were read in.
  const endpoints = [...inventory.endpoints()].filter(isS3Endpoint).sort((a, b) => describeRef(a.ref).localeCompare(describeRef(b.ref)));
  const byVpc = new Map<string, string[]>();
  const graph: MapGraph = { vpcs: [], endpoints: [], buckets: [], edges: [], folded: 0 };
  for (const endpoint of endpoints) {
    const key = describeRef(endpoint.ref);
    const vpc = endpoint.vpc?.value ?? UNKNOWN_VPC;
    byVpc.set(vpc, [...(byVpc.get(vpc) ?? []), key]);
    const region = endpoint.serviceRegion?.value ?? endpoint.serviceNameRegion ?? endpoint.region?.value;
    graph.endpoints.push({
      key,
      label: key,
      ...(endpoint.awsId ? { id: endpoint.awsId } : {}),
      type: endpoint.endpointType.value,
      ...(region ? { region } : {}),
      ...(endpoint.ref.namespace ? { namespace: endpoint.ref.namespace } : {}),
      routeTables: routeTablesOf(endpoint, inventory),
    });
  }
  graph.vpcs = [...byVpc].sort(([a], [b]) => a.localeCompare(b)).map(([id, keys]) => ({ id, endpoints: keys }));
  const seen = new Set<string>();
  for (const bucket of [...inventory.buckets()].sort((a, b) => (a.name?.value ?? "").localeCompare(b.name?.value ?? ""))) {
    const name = bucket.name?.value;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const region = bucket.region?.value;
    const namespace = bucket.ref.namespace;
    const entry: MapGraph["buckets"][number] = {
      key: `bucket:${name}`,
      name,
      ...(region ? { region } : {}),
      resource: describeRef(bucket.ref),
      ...(namespace ? { namespace } : {}),
    };
    graph.buckets.push(entry);
    if (graph.edges.length >= maxEdges) {
      // Not asked at all: the questions, not only the drawing, stay bounded.
      const skipped = endpoints.filter((e) => (e.serviceRegion?.value ?? e.serviceNameRegion ?? e.region?.value) === region).length;
      graph.folded += skipped;
      if (skipped > 0) entry.unevaluated = skipped;
      continue;
    }
    for (const path of explain(inventory, { bucket: name, actions }).paths) {
      if (graph.edges.length >= maxEdges) {
        graph.folded += 1;
        entry.unevaluated = (entry.unevaluated ?? 0) + 1;
        continue;
      }
      const outcomes = Object.fromEntries(path.actions.map((a) => [a.action, a.outcome]));
      graph.edges.push({
        from: path.endpoint.resource,
        to: `bucket:${name}`,
        passage: passageOf(Object.values(outcomes)),
        actions: outcomes,
        why: path.actions.map(whyOf),
      });
    }
  }
  return graph;
}

/** Statements shown per layer at most: the details stay small whatever the policies hold. */
const MAX_STATEMENTS_SHOWN = 5;

function whyOf(a: ActionExplanation): EdgeAction {
  return {
    action: a.action,
    outcome: a.outcome,
    conditions: a.conditions,
    layers: a.layers.map((l) => ({
      layer: l.layer,
      decision: l.decision,
      sources: l.sources,
      statements: l.statements
        .slice(0, MAX_STATEMENTS_SHOWN)
        .map((s) => ({ source: s.source, path: s.path, ...(s.sid ? { sid: s.sid } : {}) })),
    })),
    notes: a.notes,
  };
}

/** all: every action for every request; some: some action for some requests (conditions included). */
function passageOf(outcomes: readonly string[]): Passage {
  if (outcomes.length > 0 && outcomes.every((o) => o === "allowed")) return "all";
  if (outcomes.some((o) => o === "allowed" || o === "conditional")) return "some";
  return outcomes.includes("unknown") ? "unknown" : "none";
}

export const PASSAGE_COLORS: Record<Passage, string> = { all: "#2e7d32", some: "#ef6c00", none: "#c62828", unknown: "#757575" };

/** A DOT string literal: quotes and backslashes escaped, newlines as \n (no raw input reaches the syntax). */
const dotString = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;

function endpointLabel(e: MapGraph["endpoints"][number]): string {
  const tables = e.routeTables.length > 0 ? `\nroute tables: ${e.routeTables.join(", ")}` : "";
  return `${e.label}\n${[e.id, e.type, e.region].filter(Boolean).join(", ")}${tables}`;
}

export function renderDot(graph: MapGraph): string {
  const ids = new Map<string, string>();
  const id = (key: string) => {
    if (!ids.has(key)) ids.set(key, `n${ids.size}`);
    return ids.get(key)!;
  };
  const lines = ["digraph s3_vpce_map {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];'];
  graph.vpcs.forEach((vpc, i) => {
    lines.push(`  subgraph cluster_vpc${i} {`, `    label=${dotString(vpc.id)};`);
    for (const key of vpc.endpoints) {
      const e = graph.endpoints.find((x) => x.key === key)!;
      lines.push(`    ${id(key)} [label=${dotString(endpointLabel(e))}];`);
    }
    lines.push("  }");
  });
  for (const b of graph.buckets)
    lines.push(`  ${id(b.key)} [shape=cylinder, label=${dotString(`${b.name}${b.region ? `\n${b.region}` : ""}`)}];`);
  for (const edge of graph.edges) {
    const tip = Object.entries(edge.actions)
      .map(([a, o]) => `${a}: ${o}`)
      .join("\n");
    lines.push(
      `  ${id(edge.from)} -> ${id(edge.to)} [color=${dotString(PASSAGE_COLORS[edge.passage])}, label=${dotString(edge.passage)}, tooltip=${dotString(tip)}${edge.passage === "unknown" ? ", style=dashed" : ""}];`,
    );
  }
  lines.push("  subgraph cluster_legend {", '    label="what gets through (probe actions)";');
  (Object.keys(PASSAGE_COLORS) as Passage[]).forEach((p) =>
    lines.push(`    legend_${p} [shape=plaintext, label=${dotString(p)}, fontcolor=${dotString(PASSAGE_COLORS[p])}];`),
  );
  lines.push("  }");
  if (graph.folded > 0)
    lines.push(
      `  folded [shape=note, label=${dotString(`${graph.folded} more endpoint→bucket edges not drawn (${graph.edges.length} drawn)`)}];`,
    );
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Mermaid labels: inside "…", with quotes and markup characters as entities. */
const mermaidString = (text: string) =>
  `"${text.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/\r?\n/g, "<br/>")}"`;

export function renderMermaid(graph: MapGraph): string {
  const ids = new Map<string, string>();
  const id = (key: string) => {
    if (!ids.has(key)) ids.set(key, `n${ids.size}`);
    return ids.get(key)!;
  };
  const lines = ["flowchart LR"];
  graph.vpcs.forEach((vpc, i) => {
    lines.push(`  subgraph vpc${i}[${mermaidString(vpc.id)}]`);
    for (const key of vpc.endpoints)
      lines.push(`    ${id(key)}[${mermaidString(endpointLabel(graph.endpoints.find((x) => x.key === key)!))}]`);
    lines.push("  end");
  });
  for (const b of graph.buckets) lines.push(`  ${id(b.key)}[(${mermaidString(`${b.name}${b.region ? `\n${b.region}` : ""}`)})]`);
  graph.edges.forEach((edge) => lines.push(`  ${id(edge.from)} -->|${edge.passage}| ${id(edge.to)}`));
  graph.edges.forEach((edge, i) =>
    lines.push(`  linkStyle ${i} stroke:${PASSAGE_COLORS[edge.passage]}${edge.passage === "unknown" ? ",stroke-dasharray:4" : ""}`),
  );
  if (graph.folded > 0)
    lines.push(`  folded[${mermaidString(`${graph.folded} more endpoint→bucket edges not drawn (${graph.edges.length} drawn)`)}]`);
  return `${lines.join("\n")}\n`;
}
