// map --output html|svg: the layered layout, folding, the node bound, findings per node, and
// escaping of everything that comes from manifests. The browser test (test/integration/
// map-chromium.test.ts) renders the same HTML in headless Chromium.
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { runMap } from "../../src/cli/map.js";
import { defaultConfig } from "../../src/cli/config/schema.js";
import { checkObjects } from "../../src/app/check-objects.js";
import { fillInventory } from "../../src/core/adapters/inventory-adapter.js";
import { renderHtml } from "../../src/app/explain/html.js";
import { isIdentityKind } from "../../src/app/explain/identity.js";
import { layoutMap, type MapLayout } from "../../src/app/explain/layout.js";
import { findingsForMap, emptyFindings, type NodeFindings } from "../../src/app/explain/map-findings.js";
import { buildMap, type MapGraph, type Passage } from "../../src/app/explain/map.js";
import { renderSvg } from "../../src/app/explain/svg.js";
import { describeRef } from "../../src/core/model/refs.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { upjetBucket, upjetEndpoint } from "../helpers/manifests.js";
import { xmlProblems } from "./well-formed-xml.js";

const ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"];
const example = () =>
  parseAllDocuments(readFileSync("examples/explain/payments.yaml", "utf8"))
    .map((d) => d.toJS() as unknown)
    .filter((o) => o !== null);

function drawn(
  objects: unknown[],
  options?: { fold: number; maxNodes: number },
): { graph: MapGraph; layout: MapLayout; findings: Map<string, NodeFindings> } {
  const inventory = new Inventory();
  fillInventory(
    objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })),
    inventory,
    defaultConfig(),
  );
  inventory.complete = true;
  const graph = buildMap(inventory, ACTIONS);
  const findings = findingsForMap(graph, inventory, defaultConfig());
  return { graph, layout: layoutMap(graph, findings, options), findings };
}

/** A graph without policies behind it: `count` buckets in `namespace`, all reached by one endpoint as `passage`. */
function syntheticGraph(groups: { namespace?: string; count: number; passage: Passage | undefined; prefix: string }[]): MapGraph {
  const graph: MapGraph = {
    vpcs: [{ id: "vpc-1", endpoints: ["VPCEndpoint a"] }],
    endpoints: [{ key: "VPCEndpoint a", label: "VPCEndpoint a", type: "Gateway", routeTables: [] }],
    buckets: [],
    edges: [],
    folded: 0,
  };
  for (const g of groups) {
    for (let i = 0; i < g.count; i++) {
      const name = `${g.prefix}-${String(i).padStart(3, "0")}`;
      graph.buckets.push({ key: `bucket:${name}`, name, ...(g.namespace ? { namespace: g.namespace } : {}) });
      if (g.passage) graph.edges.push({ from: "VPCEndpoint a", to: `bucket:${name}`, passage: g.passage, actions: {}, why: [] });
    }
  }
  return graph;
}

const ofKind = (layout: MapLayout, kind: string) => layout.nodes.filter((n) => n.kind === kind);

describe("map layout", () => {
  it("the worked example: one box per VPC with its endpoint, the bucket in its own box, edges by passage", () => {
    const { layout } = drawn(example());
    expect(layout.groups.map((g) => g.label)).toEqual([
      "VPC vpc-0a1b2c3d4e5f67890",
      "VPC vpc-0b2c3d4e5f6a78901",
      "VPC vpc-0c3d4e5f6a7b89012",
      "cluster-scoped",
    ]);
    expect(ofKind(layout, "vpc")).toHaveLength(3);
    expect(ofKind(layout, "endpoint").map((n) => n.key)).toEqual([
      "VPCEndpoint payments-s3-gateway",
      "VPCEndpoint analytics-s3-gateway",
      "VPCEndpoint eu-s3-gateway",
    ]);
    expect(ofKind(layout, "bucket").map((n) => n.lines[0])).toEqual(["acme-payments-data"]);
    const passages = layout.edges.map((e) => e.passage).sort();
    expect(passages).toEqual(["link", "link", "link", "none", "some"]);
    // Each endpoint sits inside its VPC's box; the bucket column is right of the endpoints.
    for (const [i, endpoint] of ofKind(layout, "endpoint").entries()) {
      const box = layout.groups[i]!;
      expect(endpoint.y).toBeGreaterThanOrEqual(box.y);
      expect(endpoint.y + endpoint.h).toBeLessThanOrEqual(box.y + box.h);
    }
    expect(ofKind(layout, "bucket")[0]!.x).toBeGreaterThan(ofKind(layout, "endpoint")[0]!.x + ofKind(layout, "endpoint")[0]!.w);
    expect(layout.folded).toEqual({ buckets: 0, nodes: 0 });
  });

  it("an edge's details name the deciding statement of each probe action", () => {
    const { layout } = drawn(example());
    const some = layout.edges.find((e) => e.passage === "some")!;
    expect(some.details[0]).toBe("VPCEndpoint payments-s3-gateway → acme-payments-data");
    expect(some.details).toContain("s3:GetObject: conditional when aws:PrincipalOrgID = o-a1b2c3d4e5");
    expect(
      some.details.some((l) =>
        /endpoint: Allow by VPCEndpoint payments-s3-gateway spec\.forProvider\.policy.*Statement\[0\] \(Sid PaymentsBucketForOurOrg\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    const none = layout.edges.find((e) => e.passage === "none")!;
    expect(none.details.some((l) => /bucket: ExplicitDeny by /.test(l))).toBe(true);
  });

  it("each node carries the findings check reports for its objects, counted by level with the rule ids", () => {
    const { layout } = drawn(example());
    const report = checkObjects(
      example()
        .filter((o) => !isIdentityKind(o))
        .map((object) => ({ object, file: "x", line: 1 })),
      { config: defaultConfig() },
    );
    for (const node of ofKind(layout, "endpoint")) {
      const expected = report.findings.filter((f) => describeRef(f.resource) === node.key);
      expect(node.findings.deny + node.findings.warn + node.findings.audit, node.key).toBe(expected.length);
      expect(node.findings.rules).toEqual([...new Set(expected.map((f) => f.rule))].sort());
      if (expected.length > 0) expect(node.details).toContain(`rules: ${node.findings.rules.join(", ")}`);
    }
    expect(ofKind(layout, "endpoint").some((n) => n.findings.warn > 0)).toBe(true);
  });

  it("buckets reached the same way beyond --fold per namespace fold into one +K node, per way and per namespace", () => {
    const graph = syntheticGraph([
      { namespace: "team-a", count: 12, passage: "all", prefix: "a-all" },
      { namespace: "team-a", count: 3, passage: "none", prefix: "a-none" },
      { namespace: "team-b", count: 6, passage: "all", prefix: "b-all" },
      { namespace: "team-c", count: 9, passage: undefined, prefix: "c-unreached" },
    ]);
    const layout = layoutMap(graph, new Map(), { fold: 5, maxNodes: 800 });
    const folds = ofKind(layout, "fold");
    // team-a: 5 + "+7"; 3 none-buckets stay; team-b: 6 = 5 + 1 is not worth a fold; team-c: 5 + "+4".
    expect(folds.map((n) => n.lines[0])).toEqual(["+7 buckets", "+4 buckets"]);
    expect(layout.folded).toEqual({ buckets: 11, nodes: 2 });
    expect(ofKind(layout, "bucket")).toHaveLength(30 - 11);
    // The fold node is reached as its buckets are, with one edge; it lists their names.
    const foldA = folds[0]!;
    expect(layout.edges.filter((e) => e.to === foldA.id).map((e) => e.passage)).toEqual(["all"]);
    expect(foldA.details).toContain("  a-all-011");
    expect(layout.edges.filter((e) => e.to === folds[1]!.id)).toHaveLength(0);
    expect(renderSvg(layout)).toContain("11 buckets folded into 2 &quot;+K buckets&quot; node(s)");
    expect(layoutMap(graph, new Map(), { fold: 0, maxNodes: 800 }).folded).toEqual({ buckets: 0, nodes: 0 });
  });

  it("buckets with other findings are not folded with clean ones", () => {
    const graph = syntheticGraph([{ namespace: "team-a", count: 10, passage: "all", prefix: "x" }]);
    const findings = new Map([["bucket:x-009", { ...emptyFindings(), warn: 1, rules: ["some-rule"] }]]);
    const layout = layoutMap(graph, findings, { fold: 3, maxNodes: 800 });
    expect(ofKind(layout, "fold").map((n) => n.members)).toEqual([6]);
    expect(ofKind(layout, "bucket").map((n) => n.key)).toContain("bucket:x-009");
  });

  it("over --max-nodes whole boxes are left out and counted", () => {
    const graph = syntheticGraph([
      { namespace: "team-a", count: 4, passage: "all", prefix: "a" },
      { namespace: "team-b", count: 4, passage: "some", prefix: "b" },
    ]);
    const layout = layoutMap(graph, new Map(), { fold: 5, maxNodes: 7 });
    expect(layout.nodes).toHaveLength(6);
    expect(layout.notDrawn).toEqual({ endpoints: 0, buckets: 4 });
    expect(renderHtml(layout)).toContain("not drawn, over 7 nodes (--max-nodes): 0 endpoint(s), 4 bucket(s)");
  });

  it("a bucket whose endpoint pairs were not evaluated (edge bound) says so instead of looking unreached", () => {
    const inventory = new Inventory();
    const objects = [
      upjetEndpoint({ name: "a", awsId: "vpce-0aaaaaaaaaaaaaaa1" }),
      upjetEndpoint({ name: "b", awsId: "vpce-0aaaaaaaaaaaaaaa2", vpcId: "vpc-0b" }),
      upjetBucket({ name: "x", bucketName: "acme-x" }),
      upjetBucket({ name: "y", bucketName: "acme-y" }),
    ];
    fillInventory(
      objects.map((object) => ({ object })),
      inventory,
      defaultConfig(),
    );
    const graph = buildMap(inventory, ACTIONS, 1);
    expect(graph.buckets.map((b) => [b.name, b.unevaluated])).toEqual([
      ["acme-x", 1],
      ["acme-y", 2],
    ]);
    const layout = layoutMap(graph, new Map());
    expect(ofKind(layout, "bucket").map((n) => n.lines.at(-1))).toEqual([
      "1 endpoint pair(s) not evaluated (edge bound)",
      "2 endpoint pair(s) not evaluated (edge bound)",
    ]);
    expect(renderSvg(layout)).toContain("3 endpoint→bucket pair(s) not evaluated (over the edge bound)");
  });

  it("output stays bounded on a large inventory: 5,000 buckets in 50 namespaces", () => {
    const graph = syntheticGraph(
      Array.from({ length: 50 }, (_, i) => ({
        namespace: `ns-${i}`,
        count: 100,
        passage: (["all", "some", "none", "unknown"] as const)[i % 4],
        prefix: `b${i}`,
      })),
    );
    const layout = layoutMap(graph, new Map());
    expect(layout.nodes.length).toBeLessThanOrEqual(800);
    expect(layout.folded.buckets).toBe(50 * 95);
    expect(renderHtml(layout).length).toBeLessThan(1_000_000);
  });
});

describe("map SVG and HTML", () => {
  const hostile = () => [
    upjetEndpoint({ name: 'ep"&<b>', awsId: "vpce-0aaaaaaaaaaaaaaa1", vpcId: "vpc-<script>alert(1)</script>" }),
    upjetBucket({ name: "x", bucketName: "<script>alert(1)</script>\u0001" }),
  ];

  it("the SVG is well-formed XML with one group per node and edge", () => {
    const { layout } = drawn(example());
    const svg = renderSvg(layout);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.match(/<g class="node"/g)).toHaveLength(7);
    expect(svg.match(/<g class="edge"/g)).toHaveLength(5);
    expect(svg).toContain('data-passage="some"');
  });

  it("the checker itself refuses what is not well-formed", () => {
    expect(xmlProblems("<svg><g></svg>")).not.toEqual([]);
    expect(xmlProblems('<svg a="1" a="2"/>')).not.toEqual([]);
    expect(xmlProblems("<svg>a & b</svg>")).not.toEqual([]);
    expect(xmlProblems("<svg>\u0001</svg>")).not.toEqual([]);
    expect(xmlProblems("<svg/><svg/>")).not.toEqual([]);
  });

  it("names from manifests are text, never markup, in the SVG and the HTML", () => {
    const { layout } = drawn(hostile());
    const svg = renderSvg(layout);
    expect(xmlProblems(svg)).toEqual([]);
    const html = renderHtml(layout);
    for (const out of [svg, html]) {
      expect(out).not.toContain("<script>alert");
      expect(out).not.toContain("<b>");
      expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
    // The page's only script is its own, and its CSP allows that one script only.
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("map --output html|svg on the CLI: the page on stdout, what was folded on stderr, bad flags refused", async () => {
    const run = async (args: string[]) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const chunks = { out: "", err: "" };
      stdout.on("data", (c: Buffer) => (chunks.out += c.toString()));
      stderr.on("data", (c: Buffer) => (chunks.err += c.toString()));
      const code = await runMap(args, { stdout, stderr });
      return { code, ...chunks };
    };
    const html = await run(["--output", "html", "examples/explain/"]);
    expect(html.code).toBe(0);
    expect(html.out).toMatch(/^<!DOCTYPE html>/);
    expect(html.err).toBe("");
    const svg = await run(["-o", "svg", "--fold", "0", "examples/explain/"]);
    expect(xmlProblems(svg.out)).toEqual([]);
    expect((await run(["-o", "png", "examples/explain/"])).err).toContain("--output must be html, svg, dot or mermaid");
    expect((await run(["-o", "html", "--fold", "two", "examples/explain/"])).code).toBe(2);
    expect((await run(["-o", "html", "--max-nodes", "0", "examples/explain/"])).err).toContain(
      "--max-nodes 0: expected a whole number of at least 1",
    );
    const tight = await run(["-o", "svg", "--max-nodes", "3", "examples/explain/"]);
    expect(tight.err).toContain("s3-vpce-guard map: not drawn, over 3 nodes (--max-nodes): 2 endpoint(s), 0 bucket(s)");
  });
});
