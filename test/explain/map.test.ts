import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { describeIntegration } from "../harness/control-plane.js";
import { defaultConfig } from "../../src/cli/config/schema.js";
import { fillInventory } from "../../src/core/adapters/inventory-adapter.js";
import { isIdentityKind } from "../../src/app/explain/identity.js";
import { buildMap, renderDot, renderMermaid, type MapGraph } from "../../src/app/explain/map.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { bucketGrant, upjetBucket, upjetEndpoint, upjetRouteTableAssociation } from "../helpers/manifests.js";

const ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"];

function mapOf(objects: unknown[]): MapGraph {
  const inventory = new Inventory();
  fillInventory(
    objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })),
    inventory,
    defaultConfig(),
  );
  return buildMap(inventory, ACTIONS);
}

const example = () =>
  parseAllDocuments(readFileSync("examples/explain/payments.yaml", "utf8"))
    .map((d) => d.toJS() as unknown)
    .filter((o) => o !== null);

describe("map", () => {
  it("VPCs → endpoints → buckets, edges by what gets through", () => {
    const graph = mapOf(example());
    expect(graph.vpcs.map((v) => v.id)).toEqual(["vpc-0a1b2c3d4e5f67890", "vpc-0b2c3d4e5f6a78901", "vpc-0c3d4e5f6a7b89012"]);
    expect(graph.buckets).toEqual([
      { key: "bucket:acme-payments-data", name: "acme-payments-data", region: "us-east-1", resource: "Bucket payments-data" },
    ]);
    // Conditional (aws:PrincipalOrgID) is "some"; the bucket's Deny makes the other "none"; eu-west-1 has no edge.
    expect(graph.edges.map((e) => [e.from, e.passage])).toEqual([
      ["VPCEndpoint analytics-s3-gateway", "none"],
      ["VPCEndpoint payments-s3-gateway", "some"],
    ]);
  });

  it("all, some, and route tables on the endpoint", () => {
    const graph = mapOf([
      upjetEndpoint({ name: "full", awsId: "vpce-0aaaaaaaaaaaaaaa1" }),
      upjetRouteTableAssociation({ endpointRef: "full", routeTableId: "rtb-0123" }),
      upjetEndpoint({ name: "reads", awsId: "vpce-0aaaaaaaaaaaaaaa2", vpcId: "vpc-0b", policy: bucketGrant("acme-x", ["s3:GetObject"]) }),
      upjetBucket({ name: "x", bucketName: "acme-x" }),
    ]);
    expect(graph.endpoints.find((e) => e.key === "VPCEndpoint full")!.routeTables).toEqual(["rtb-0123"]);
    expect(Object.fromEntries(graph.edges.map((e) => [e.from, e.passage]))).toEqual({
      "VPCEndpoint full": "all",
      "VPCEndpoint reads": "some",
    });
  });

  it("Mermaid: a flowchart with one subgraph per VPC and a style per edge", () => {
    const text = renderMermaid(mapOf(example()));
    expect(text.split("\n")[0]).toBe("flowchart LR");
    expect(text.match(/^ {2}subgraph /gm)).toHaveLength(3);
    expect(text).toContain("-->|some|");
    expect(text.match(/linkStyle \d+ stroke:/g)).toHaveLength(2);
  });

  it("over the edge bound, the rest is folded and counted (and not asked)", () => {
    const inventory = new Inventory();
    const objects = [
      upjetEndpoint({ name: "a", awsId: "vpce-0aaaaaaaaaaaaaaa1" }),
      upjetEndpoint({ name: "b", awsId: "vpce-0aaaaaaaaaaaaaaa2" }),
      upjetBucket({ name: "x", bucketName: "acme-x" }),
      upjetBucket({ name: "y", bucketName: "acme-y" }),
    ];
    fillInventory(
      objects.map((object) => ({ object })),
      inventory,
      defaultConfig(),
    );
    const graph = buildMap(inventory, ACTIONS, 1);
    expect(graph.edges).toHaveLength(1);
    expect(graph.folded).toBe(3);
    expect(renderDot(graph)).toContain("3 more endpoint→bucket edges not drawn");
  });
});

// Graphviz is a binary outside Node: gated like the other integration prerequisites.
describeIntegration(
  "map through Graphviz",
  () => {
    it("DOT parses with Graphviz (dot -Tsvg) and escapes names", () => {
      const graph = mapOf(example());
      graph.buckets[0]!.name = 'we"ird\\name\n} digraph {';
      const dot = renderDot(graph);
      const svg = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8" });
      expect(svg.error, "Graphviz's dot is not on PATH: run scripts/graphviz.sh").toBeUndefined();
      expect(svg.stderr).toBe("");
      expect(svg.status).toBe(0);
      expect(svg.stdout).toContain("<svg");
      // Three VPC clusters, the legend, four endpoint/bucket nodes, two edges.
      expect(svg.stdout.match(/class="cluster"/g)).toHaveLength(4);
      expect(svg.stdout.match(/class="edge"/g)).toHaveLength(2);
      expect(svg.stdout).toMatch(/VPCEndpoint payments(-|&#45;)s3(-|&#45;)gateway/);
    });
  },
  ["graphviz"],
);
