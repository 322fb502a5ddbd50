/**
 * A layered layout of the `map` graph for the SVG and HTML outputs, hand-written because the
 * graph always has the same three layers: VPCs (left) → their S3 endpoints (middle, one box
 * per VPC) → buckets (right, one box per namespace). Buckets are ordered by the mean height
 * of the endpoints that reach them, so most edges run straight across.
 *
 * Large inventories stay readable and bounded:
 * - fold: in each namespace box, buckets reached the same way (the same endpoints, the same
 *   passage, the same findings) beyond the first `fold` are drawn as one "+K buckets" node;
 * - maxNodes: nodes drawn at most; what is over it is counted, not drawn.
 * Pure: the graph and findings in, boxes and paths out.
 */

import { emptyFindings, mergeFindings, type NodeFindings } from "./map-findings.js";
import type { MapGraph, Passage } from "./map.js";

export type NodeKind = "vpc" | "endpoint" | "bucket" | "fold";

export interface LayoutNode {
  /** n0, n1, …: never taken from the input. */
  id: string;
  kind: NodeKind;
  /** The graph key (endpoint resource, "bucket:NAME", the VPC id, "fold:…"). */
  key: string;
  /** Shown in the box, each line already cut to the box's width. */
  lines: string[];
  /** Hover/click: the first line is the heading. Plain text. */
  details: string[];
  findings: NodeFindings;
  /** Buckets a fold node stands for. */
  members?: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutGroup {
  kind: "vpc" | "namespace";
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
  /** "link": a VPC to its endpoint (nothing is decided there). */
  passage: Passage | "link";
  /** SVG path data. */
  d: string;
  details: string[];
}

export interface MapLayout {
  width: number;
  height: number;
  nodes: LayoutNode[];
  groups: LayoutGroup[];
  edges: LayoutEdge[];
  counts: { vpcs: number; endpoints: number; buckets: number };
  /** Buckets drawn inside "+K buckets" nodes, and how many such nodes. */
  folded: { buckets: number; nodes: number };
  /** Over maxNodes: not drawn at all. */
  notDrawn: { endpoints: number; buckets: number };
  /** Endpoint→bucket pairs the graph did not evaluate (over its edge bound). */
  unevaluated: number;
  options: LayoutOptions;
}

export interface LayoutOptions {
  /** Buckets kept per namespace and way of being reached before the rest fold; 0: never fold. */
  fold: number;
  maxNodes: number;
}

export const DEFAULT_FOLD = 5;
export const DEFAULT_MAX_NODES = 800;

/** Detail lines are cut to this: a long name or policy path cannot blow up the page. */
const MAX_DETAIL_CHARS = 300;
/** Bucket names listed in a fold node's details. */
const MAX_FOLD_NAMES = 20;

const TOP = 96;
const GAP = 10;
const PAD = 10;
const HEADER = 22;
const LINE = 16;
const CHAR = 6.6;
const COLUMNS = { vpc: { x: 20, w: 200 }, endpoint: { x: 250, w: 320 }, bucket: { x: 760, w: 320 } };
const GROUP_X = { vpc: COLUMNS.vpc.x - PAD, namespace: COLUMNS.bucket.x - PAD };
const WIDTH = COLUMNS.bucket.x + COLUMNS.bucket.w + 2 * PAD + 10;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text);
const fit = (text: string, width: number) => clip(text, Math.floor((width - 2 * PAD) / CHAR));
const nodeHeight = (lines: number, findings: NodeFindings) => PAD + LINE * (lines + (hasFindings(findings) ? 1 : 0)) + 4;

export const hasFindings = (f: NodeFindings) => f.deny + f.warn + f.audit > 0;

function findingLines(f: NodeFindings): string[] {
  if (!hasFindings(f)) return ["findings: none"];
  return [`findings: ${f.deny} deny, ${f.warn} warn, ${f.audit} audit`, `rules: ${f.rules.join(", ")}`, ...f.messages.map((m) => `  ${m}`)];
}

type GraphEdge = MapGraph["edges"][number];

function edgeDetails(heading: string, edge: GraphEdge): string[] {
  const lines = [heading, `what gets through: ${edge.passage}`];
  for (const a of edge.why) {
    lines.push(`${a.action}: ${a.outcome}${a.conditions.length > 0 ? ` when ${a.conditions.join(" and ")}` : ""}`);
    for (const l of a.layers) {
      const deciders = l.statements.map((s) => `${s.source} ${s.path}${s.sid ? ` (Sid ${s.sid})` : ""}`).join("; ");
      lines.push(`  ${l.layer}: ${l.decision}${deciders ? ` by ${deciders}` : ` (${l.sources.join("; ") || "no policy"})`}`);
    }
    for (const n of a.notes) lines.push(`  note: ${n}`);
  }
  return lines;
}

/** Mean height of the endpoints reaching a bucket; unreached buckets go last. */
function barycenter(edges: readonly GraphEdge[], endpointY: ReadonlyMap<string, number>): number {
  const ys = edges.map((e) => endpointY.get(e.from)).filter((y): y is number => y !== undefined);
  return ys.length > 0 ? ys.reduce((a, b) => a + b, 0) / ys.length : Number.POSITIVE_INFINITY;
}

const byNumberThenName =
  <T>(num: (t: T) => number, name: (t: T) => string) =>
  (a: T, b: T) =>
    num(a) - num(b) || name(a).localeCompare(name(b));

export function layoutMap(
  graph: MapGraph,
  findings: ReadonlyMap<string, NodeFindings>,
  options: LayoutOptions = { fold: DEFAULT_FOLD, maxNodes: DEFAULT_MAX_NODES },
): MapLayout {
  const layout: MapLayout = {
    width: WIDTH,
    height: TOP,
    nodes: [],
    groups: [],
    edges: [],
    counts: { vpcs: graph.vpcs.length, endpoints: graph.endpoints.length, buckets: graph.buckets.length },
    folded: { buckets: 0, nodes: 0 },
    notDrawn: { endpoints: 0, buckets: 0 },
    unevaluated: graph.folded,
    options,
  };
  const findingsOf = (key: string) => findings.get(key) ?? emptyFindings();
  const nodesByKey = new Map<string, LayoutNode>();
  const place = (node: Omit<LayoutNode, "id">): LayoutNode => {
    const placed = { ...node, id: `n${layout.nodes.length}` };
    layout.nodes.push(placed);
    nodesByKey.set(node.key, placed);
    return placed;
  };
  const room = () => options.maxNodes - layout.nodes.length;

  // Left and middle: one box per VPC, its node beside its endpoints.
  const endpointsByKey = new Map(graph.endpoints.map((e) => [e.key, e]));
  const endpointY = new Map<string, number>();
  let y = TOP;
  for (const vpc of graph.vpcs) {
    if (room() < 1 + vpc.endpoints.length) {
      layout.notDrawn.endpoints += vpc.endpoints.length;
      continue;
    }
    const top = y;
    y += HEADER;
    const vpcNode = place({
      kind: "vpc",
      key: `vpc:${vpc.id}`,
      lines: [fit(vpc.id, COLUMNS.vpc.w)],
      details: [vpc.id, `${vpc.endpoints.length} S3 endpoint(s)`],
      findings: emptyFindings(),
      ...COLUMNS.vpc,
      y,
      h: nodeHeight(1, emptyFindings()),
    });
    let endpointBottom = y;
    for (const key of vpc.endpoints) {
      const e = endpointsByKey.get(key)!;
      const f = findingsOf(key);
      const facts = [e.id, e.type, e.region].filter(Boolean).join(", ");
      const tables = e.routeTables.length > 0 ? `route tables: ${e.routeTables.join(", ")}` : "route tables: none";
      const lines = [e.label, facts, tables].map((l) => fit(l, COLUMNS.endpoint.w));
      const node = place({
        kind: "endpoint",
        key,
        lines,
        details: [e.label, facts, ...(e.namespace ? [`namespace: ${e.namespace}`] : []), `VPC: ${vpc.id}`, tables, ...findingLines(f)],
        findings: f,
        ...COLUMNS.endpoint,
        y: endpointBottom,
        h: nodeHeight(lines.length, f),
      });
      endpointY.set(key, node.y + node.h / 2);
      endpointBottom = node.y + node.h + GAP;
      layout.edges.push({
        id: `e${layout.edges.length}`,
        from: vpcNode.id,
        to: node.id,
        passage: "link",
        d: straight(vpcNode, node),
        details: [`${vpc.id} → ${e.label}`, "the endpoint's VPC"],
      });
    }
    y = Math.max(vpcNode.y + vpcNode.h + GAP, endpointBottom) + PAD - GAP;
    layout.groups.push({
      kind: "vpc",
      label: fit(`VPC ${vpc.id}`, COLUMNS.endpoint.x + COLUMNS.endpoint.w - COLUMNS.vpc.x),
      x: GROUP_X.vpc,
      y: top,
      w: COLUMNS.endpoint.x + COLUMNS.endpoint.w + PAD - GROUP_X.vpc,
      h: y - top,
    });
    y += GAP;
  }
  const leftBottom = y;

  // Right: buckets by namespace, each box in the order of the endpoints reaching it.
  const edgesTo = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges) {
    if (!endpointY.has(edge.from)) continue;
    const list = edgesTo.get(edge.to);
    if (list) list.push(edge);
    else edgesTo.set(edge.to, [edge]);
  }
  const groups = new Map<string, MapGraph["buckets"]>();
  for (const b of graph.buckets) {
    const ns = b.namespace ?? "";
    const list = groups.get(ns);
    if (list) list.push(b);
    else groups.set(ns, [b]);
  }
  const centerOf = (b: MapGraph["buckets"][number]) => barycenter(edgesTo.get(b.key) ?? [], endpointY);
  const ordered = [...groups].map(([ns, buckets]) => {
    const sorted = [...buckets].sort(byNumberThenName(centerOf, (b) => b.name));
    const reached = sorted.map(centerOf).filter(Number.isFinite);
    return {
      ns,
      buckets: sorted,
      center: reached.length > 0 ? reached.reduce((a, b) => a + b, 0) / reached.length : Number.POSITIVE_INFINITY,
    };
  });
  ordered.sort(
    byNumberThenName(
      (g) => g.center,
      (g) => g.ns,
    ),
  );

  y = TOP;
  for (const group of ordered) {
    const entries = foldGroup(group.buckets, edgesTo, findingsOf, options.fold);
    if (room() < entries.length) {
      layout.notDrawn.buckets += group.buckets.length;
      continue;
    }
    const top = y;
    y += HEADER;
    for (const entry of entries) {
      const node = entry.kind === "bucket" ? bucketNode(entry.bucket, entry.findings) : foldNode(entry);
      const placed = place({ ...node, ...COLUMNS.bucket, y, h: nodeHeight(node.lines.length, node.findings) });
      y = placed.y + placed.h + GAP;
      if (entry.kind === "fold") {
        layout.folded.buckets += entry.buckets.length;
        layout.folded.nodes += 1;
      }
      for (const edge of entry.edges) {
        const from = nodesByKey.get(edge.from)!;
        const heading =
          entry.kind === "bucket"
            ? `${edge.from} → ${entry.bucket.name}`
            : `${edge.from} → ${entry.buckets.length} buckets (each as ${entry.buckets[0]!.name})`;
        layout.edges.push({
          id: `e${layout.edges.length}`,
          from: from.id,
          to: placed.id,
          passage: edge.passage,
          d: curve(from, placed),
          details: edgeDetails(heading, edge).map((l) => clip(l, MAX_DETAIL_CHARS)),
        });
      }
    }
    y += PAD - GAP;
    layout.groups.push({
      kind: "namespace",
      label: fit(group.ns ? `namespace ${group.ns}` : "cluster-scoped", COLUMNS.bucket.w),
      x: GROUP_X.namespace,
      y: top,
      w: COLUMNS.bucket.w + 2 * PAD,
      h: y - top,
    });
    y += GAP;
  }
  layout.height = Math.max(leftBottom, y) + 10;
  for (const node of layout.nodes) node.details = node.details.map((l) => clip(l, MAX_DETAIL_CHARS));
  return layout;
}

type Bucket = MapGraph["buckets"][number];
type Entry =
  | { kind: "bucket"; bucket: Bucket; edges: GraphEdge[]; findings: NodeFindings }
  | { kind: "fold"; buckets: Bucket[]; edges: GraphEdge[]; findings: NodeFindings; signature: string };

/**
 * One namespace box's entries: buckets reached the same way (same endpoints, same passage,
 * same findings levels and rules) beyond the first `fold` become one fold entry, drawn after the
 * buckets it stands beside. A fold of one bucket would hide it for nothing: it stays a bucket.
 */
export function foldGroup(
  buckets: readonly Bucket[],
  edgesTo: ReadonlyMap<string, GraphEdge[]>,
  findingsOf: (key: string) => NodeFindings,
  fold: number,
): Entry[] {
  const signatureOf = (b: Bucket) => {
    const f = findingsOf(b.key);
    const ways = (edgesTo.get(b.key) ?? []).map((e) => `${e.from}=${e.passage}`).sort();
    return JSON.stringify([ways, b.unevaluated !== undefined, f.deny > 0, f.warn > 0, f.audit > 0, f.rules]);
  };
  const signatures = buckets.map(signatureOf);
  const total = new Map<string, number>();
  for (const s of signatures) total.set(s, (total.get(s) ?? 0) + 1);
  const seen = new Map<string, number>();
  const entries: Entry[] = [];
  const folds = new Map<string, Extract<Entry, { kind: "fold" }>>();
  buckets.forEach((b, i) => {
    const s = signatures[i]!;
    const rank = seen.get(s) ?? 0;
    seen.set(s, rank + 1);
    const edges = edgesTo.get(b.key) ?? [];
    if (fold <= 0 || total.get(s)! <= fold + 1 || rank < fold) {
      entries.push({ kind: "bucket", bucket: b, edges, findings: findingsOf(b.key) });
      return;
    }
    const existing = folds.get(s);
    if (existing) {
      existing.buckets.push(b);
      existing.findings = mergeFindings(existing.findings, findingsOf(b.key));
    } else {
      const entry = { kind: "fold" as const, buckets: [b], edges, findings: findingsOf(b.key), signature: s };
      folds.set(s, entry);
      entries.push(entry);
    }
  });
  // Fold nodes after the buckets they stand beside: the box reads kept buckets first.
  return [...entries.filter((e) => e.kind === "bucket"), ...entries.filter((e) => e.kind === "fold")];
}

function bucketNode(b: Bucket, f: NodeFindings): Omit<LayoutNode, "id" | "x" | "y" | "w" | "h"> {
  const unevaluated = b.unevaluated !== undefined ? [`${b.unevaluated} endpoint pair(s) not evaluated (edge bound)`] : [];
  const lines = [b.name, [b.region, b.resource].filter(Boolean).join(", "), ...unevaluated]
    .filter((l) => l !== "")
    .map((l) => fit(l, COLUMNS.bucket.w));
  return {
    kind: "bucket",
    key: b.key,
    lines,
    details: [
      b.name,
      ...(b.region ? [`Region: ${b.region}`] : []),
      ...(b.resource ? [`object: ${b.resource}`] : []),
      ...(b.namespace ? [`namespace: ${b.namespace}`] : []),
      ...unevaluated,
      ...findingLines(f),
    ],
    findings: f,
  };
}

function foldNode(entry: Extract<Entry, { kind: "fold" }>): Omit<LayoutNode, "id" | "x" | "y" | "w" | "h"> {
  const names = entry.buckets.slice(0, MAX_FOLD_NAMES).map((b) => `  ${b.name}`);
  const more = entry.buckets.length - names.length;
  return {
    kind: "fold",
    key: `fold:${entry.signature}`,
    lines: [
      `+${entry.buckets.length} buckets`,
      fit(
        `${entry.buckets[0]!.unevaluated !== undefined ? "not evaluated (edge bound), as" : "reached as"} ${entry.buckets[0]!.name}`,
        COLUMNS.bucket.w,
      ),
    ],
    details: [
      `+${entry.buckets.length} buckets reached the same way`,
      "folded: same endpoints, same passage, same findings levels and rules",
      ...(entry.buckets[0]!.unevaluated !== undefined
        ? ["their endpoint pairs were not evaluated (over the edge bound): a missing edge says nothing"]
        : []),
      ...names,
      ...(more > 0 ? [`  … and ${more} more`] : []),
      ...findingLines(entry.findings),
    ],
    findings: entry.findings,
    members: entry.buckets.length,
  };
}

const right = (n: LayoutNode) => ({ x: n.x + n.w, y: n.y + n.h / 2 });
const left = (n: LayoutNode) => ({ x: n.x, y: n.y + n.h / 2 });
const num = (v: number) => String(Math.round(v * 10) / 10);

function straight(a: LayoutNode, b: LayoutNode): string {
  const p = right(a);
  const q = left(b);
  return `M${num(p.x)},${num(p.y)} L${num(q.x)},${num(q.y)}`;
}

function curve(a: LayoutNode, b: LayoutNode): string {
  const p = right(a);
  const q = left(b);
  const dx = (q.x - p.x) / 2;
  return `M${num(p.x)},${num(p.y)} C${num(p.x + dx)},${num(p.y)} ${num(q.x - dx)},${num(q.y)} ${num(q.x)},${num(q.y)}`;
}
