import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/core/model/findings.js";
import type { ResourceRef } from "../../src/core/model/types.js";
import {
  buildReports,
  fnv1a,
  HASH_ANNOTATION,
  SHARD_ANNOTATION,
  shardCount,
  type BuiltReport,
} from "../../src/app/audit/policy-reports.js";
import { CLUSTER_SCOPE, ResultStore } from "../../src/app/audit/results.js";

const ref = (name: string, namespace: string | null = "team-a"): ResourceRef => ({
  apiVersion: namespace ? "ec2.aws.m.upbound.io/v1beta1" : "ec2.aws.upbound.io/v1beta2",
  kind: "VPCEndpoint",
  namespace,
  name,
  uid: `uid-${name}`,
});

const finding = (
  resource: ResourceRef,
  action: Finding["action"],
  rule: Finding["rule"] = "endpoint-full-access",
  message = `${resource.name}: ${rule}`,
): Finding => ({
  rule,
  action,
  message,
  fix: "restrict the policy",
  guide: "Endpoints for Amazon S3",
  resource,
  path: "spec.forProvider.policy",
});

/** The single report of a scope that fits one. */
function buildReport(...args: Parameters<typeof buildReports>): BuiltReport {
  const reports = buildReports(...args);
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

const upjet = (kind: string, name: string, group = kind === "Bucket" ? "s3.aws.upbound.io" : "ec2.aws.upbound.io"): ResourceRef => ({
  apiVersion: `${group}/v1beta2`,
  kind,
  namespace: null,
  name,
  uid: `uid-${kind}-${name}`,
});

describe("buildReports", () => {
  it("maps deny → fail/high, warn → warn/medium, audit → warn/low, with the field path, fix, guide and action as properties", () => {
    const store = new ResultStore();
    const a = ref("a");
    store.set(
      "a",
      a,
      [finding(a, "deny", "source-ip-condition"), finding(a, "warn"), finding(a, "audit", "required-bucket-access")],
      1_700_000_000_500,
    );
    const { object } = buildReport("team-a", store.entries("team-a"));
    expect(object.kind).toBe("PolicyReport");
    expect(object.metadata).toMatchObject({
      name: "s3-vpce-guard",
      namespace: "team-a",
      labels: { "app.kubernetes.io/managed-by": "s3-vpce-guard" },
    });
    expect(object.results.map((r) => [r.rule, r.result, r.severity, r.properties.action])).toEqual([
      ["source-ip-condition", "fail", "high", "deny"],
      ["endpoint-full-access", "warn", "medium", "warn"],
      ["required-bucket-access", "warn", "low", "audit"],
    ]);
    expect(object.results[0]).toMatchObject({
      policy: "s3-vpce-guard",
      message: "a: source-ip-condition",
      timestamp: { seconds: 1_700_000_000, nanos: 0 },
      resources: [{ apiVersion: "ec2.aws.m.upbound.io/v1beta1", kind: "VPCEndpoint", namespace: "team-a", name: "a", uid: "uid-a" }],
      properties: { path: "spec.forProvider.policy", fix: "restrict the policy", guide: "Endpoints for Amazon S3" },
    });
  });

  it("counts clean objects as pass in the summary without listing them", () => {
    const store = new ResultStore();
    const [a, b, c] = [ref("a"), ref("b"), ref("c")];
    store.set("a", a, [finding(a, "deny"), finding(a, "warn", "ipv4-only")]);
    store.set("b", b, []);
    store.set("c", c, []);
    const { object } = buildReport("team-a", store.entries("team-a"));
    expect(object.summary).toEqual({ pass: 2, fail: 1, warn: 1, error: 0, skip: 0 });
    expect(object.results).toHaveLength(2);
  });

  it("cluster-scoped objects go into a ClusterPolicyReport without a namespace", () => {
    const store = new ResultStore();
    const a = ref("a", null);
    store.set("a", a, [finding(a, "warn")]);
    expect([...store.scopes()]).toEqual([CLUSTER_SCOPE]);
    const { object } = buildReport(CLUSTER_SCOPE, store.entries(CLUSTER_SCOPE));
    expect(object.kind).toBe("ClusterPolicyReport");
    expect(object.metadata.namespace).toBeUndefined();
    expect(object.results[0]!.resources[0]!.namespace).toBeUndefined();
  });

  it("the content hash is stable across re-evaluations and changes with the content", () => {
    const store = new ResultStore();
    const a = ref("a");
    store.set("a", a, [finding(a, "warn")], 1000);
    const first = buildReport("team-a", store.entries("team-a"));
    expect(store.set("a", a, [finding(a, "warn")], 99_000)).toBe(false); // same findings: nothing changed, `since` kept
    const again = buildReport("team-a", store.entries("team-a"));
    expect(again.hash).toBe(first.hash);
    expect(again.object.metadata.annotations[HASH_ANNOTATION]).toBe(first.hash);
    store.set("a", a, []);
    expect(buildReport("team-a", store.entries("team-a")).hash).not.toBe(first.hash);
  });

  it("the content hash leaves out when a finding was first seen: a new leader rewrites no report for that alone", () => {
    const [earlier, later] = [new ResultStore(), new ResultStore()];
    const a = ref("a");
    earlier.set("a", a, [finding(a, "warn")], 1_000);
    later.set("a", a, [finding(a, "warn")], 9_000_000);
    const [x, y] = [buildReport("team-a", earlier.entries("team-a")), buildReport("team-a", later.entries("team-a"))];
    expect(x.object.results[0]!.timestamp).not.toEqual(y.object.results[0]!.timestamp);
    expect(y.hash).toBe(x.hash);
  });

  it("results of a fixed or deleted object leave the report; a scope with no object left has no entries", () => {
    const store = new ResultStore();
    const [a, b] = [ref("a"), ref("b")];
    store.set("a", a, [finding(a, "deny")]);
    store.set("b", b, [finding(b, "deny")]);
    store.takeDirtyScopes();
    store.set("a", a, []);
    store.delete("b");
    expect(store.takeDirtyScopes()).toEqual(["team-a"]);
    const { object } = buildReport("team-a", store.entries("team-a"));
    expect(object.results).toEqual([]);
    expect(object.summary).toMatchObject({ pass: 1, fail: 0 });
    store.delete("a");
    expect([...store.entries("team-a")]).toEqual([]);
    expect([...store.scopes()]).toEqual([]);
  });

  it("a namespace too big for one report is split into shards by a stable hash: every result in exactly one, each under the cap", () => {
    const store = new ResultStore();
    for (let i = 0; i < 400; i++) {
      const r = ref(`o${i}`);
      store.set(`o${i}`, r, i % 4 === 3 ? [] : [finding(r, i % 2 === 0 ? "warn" : "deny")]);
    }
    const reports = buildReports("team-a", store.entries("team-a"), { maxResultsBytes: 20_000 });
    expect(reports.length).toBeGreaterThan(1);
    const count = reports.length;
    // Power-of-two shard counts; names say which shard of how many.
    expect(reports.map((r) => r.name)).toEqual(expect.arrayContaining([`s3-vpce-guard-1-of-${reports.length}`]));
    for (const r of reports) {
      expect(r.name).toMatch(/^s3-vpce-guard-\d+-of-\d+$/);
      expect(JSON.stringify(r.object.results).length).toBeLessThanOrEqual(20_000);
      expect(r.object.metadata.annotations[SHARD_ANNOTATION]).toMatch(new RegExp(`^\\d+/${r.name.split("-of-")[1]}$`));
    }
    const listed = reports.flatMap((r) => r.object.results.map((x) => x.resources[0]!.name)).sort();
    expect(listed).toEqual(
      [...Array(400).keys()]
        .filter((i) => i % 4 !== 3)
        .map((i) => `o${i}`)
        .sort(),
    );
    const summed = reports.reduce(
      (acc, r) => ({
        pass: acc.pass + r.object.summary.pass,
        fail: acc.fail + r.object.summary.fail,
        warn: acc.warn + r.object.summary.warn,
      }),
      { pass: 0, fail: 0, warn: 0 },
    );
    expect(summed).toEqual({ pass: 100, fail: 100, warn: 200 });
    // Deterministic: the same results give the same names and hashes (any leader writes the same set).
    expect(buildReports("team-a", store.entries("team-a"), { maxResultsBytes: 20_000 }).map((r) => [r.name, r.hash])).toEqual(
      reports.map((r) => [r.name, r.hash]),
    );
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it("changing one object rewrites only the shard it hashes to", () => {
    const store = new ResultStore();
    for (let i = 0; i < 200; i++) {
      const r = ref(`o${i}`);
      store.set(`o${i}`, r, [finding(r, "deny")]);
    }
    const before = new Map(buildReports("team-a", store.entries("team-a"), { maxResultsBytes: 20_000 }).map((r) => [r.name, r.hash]));
    const o7 = ref("o7");
    store.set("o7", o7, [finding(o7, "deny", "endpoint-full-access", "another message")]);
    const after = buildReports("team-a", store.entries("team-a"), { maxResultsBytes: 20_000 });
    const changed = after.filter((r) => before.get(r.name) !== r.hash);
    expect(after.map((r) => r.name)).toEqual([...before.keys()]);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.object.results.some((x) => x.resources[0]!.name === "o7")).toBe(true);
  });

  it("cluster-scoped results get one ClusterPolicyReport per kind and API group, split by hash when big", () => {
    const store = new ResultStore();
    const bucket = upjet("Bucket", "b");
    const endpoint = upjet("VPCEndpoint", "e");
    const community = upjet("VPCEndpoint", "c", "ec2.aws.crossplane.io");
    store.set("b", bucket, [finding(bucket, "deny")]);
    store.set("e", endpoint, []);
    store.set("c", community, [finding(community, "warn")]);
    const reports = buildReports(CLUSTER_SCOPE, store.entries(CLUSTER_SCOPE));
    expect(reports.map((r) => [r.name, r.object.kind, r.object.summary.pass, r.object.results.length])).toEqual([
      ["s3-vpce-guard-bucket.s3.aws.upbound.io", "ClusterPolicyReport", 0, 1],
      ["s3-vpce-guard-vpcendpoint.ec2.aws.crossplane.io", "ClusterPolicyReport", 0, 1],
      ["s3-vpce-guard-vpcendpoint.ec2.aws.upbound.io", "ClusterPolicyReport", 1, 0],
    ]);
    for (let i = 0; i < 300; i++) {
      const r = upjet("Bucket", `big-${i}`);
      store.set(`big-${i}`, r, [finding(r, "deny"), finding(r, "warn", "ipv4-only")]);
    }
    const split = buildReports(CLUSTER_SCOPE, store.entries(CLUSTER_SCOPE), { maxResultsBytes: 30_000 });
    const buckets = split.filter((r) => r.name.startsWith("s3-vpce-guard-bucket-"));
    expect(buckets.length).toBeGreaterThan(1);
    for (const r of buckets) expect(r.name).toMatch(/^s3-vpce-guard-bucket-\d+-of-\d+\.s3\.aws\.upbound\.io$/);
    expect(buckets.reduce((n, r) => n + r.object.results.length, 0)).toBe(601);
    // The other kinds keep their unsplit reports.
    expect(split.filter((r) => r.name.includes("vpcendpoint")).map((r) => r.name)).toEqual([
      "s3-vpce-guard-vpcendpoint.ec2.aws.crossplane.io",
      "s3-vpce-guard-vpcendpoint.ec2.aws.upbound.io",
    ]);
    for (const r of split) expect(r.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });

  it("shardCount picks the smallest power of two that fits, and doubling splits shards instead of reshuffling them", () => {
    const items = [...Array(1000).keys()].map((i) => ({ hash: fnv1a(`k${i}`), bytes: 100 }));
    expect(shardCount(items, 200_000)).toBe(1);
    const n = shardCount(items, 20_000);
    expect(n).toBeGreaterThanOrEqual(8);
    expect(Number.isInteger(Math.log2(n))).toBe(true);
    // An object in shard s of N is in s or s + N of 2N.
    for (const item of items) expect([item.hash % n, (item.hash % n) + n]).toContain(item.hash % (2 * n));
    expect(fnv1a("abc")).toBe(fnv1a("abc"));
    // One object bigger than the cap cannot be split: it gets a shard of its own, bounded.
    expect(shardCount([{ hash: 1, bytes: 50_000 }], 20_000)).toBeLessThanOrEqual(1024);
  });

  it("an object that moves namespace leaves its old scope", () => {
    const store = new ResultStore();
    store.set("k", ref("a", "one"), []);
    store.set("k", ref("a", "two"), []);
    expect([...store.scopes()]).toEqual(["two"]);
  });
});
