import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/model/findings.js";
import type { ResourceRef } from "../../src/model/types.js";
import { buildReport, HASH_ANNOTATION, OMITTED_ANNOTATION } from "../../src/reconciler/policy-reports.js";
import { CLUSTER_SCOPE, ResultStore } from "../../src/reconciler/results.js";

const ref = (name: string, namespace: string | null = "team-a"): ResourceRef => ({
  apiVersion: namespace ? "ec2.aws.m.upbound.io/v1beta1" : "ec2.aws.upbound.io/v1beta2",
  kind: "VPCEndpoint",
  namespace,
  name,
  uid: `uid-${name}`,
});

const finding = (resource: ResourceRef, action: Finding["action"], rule: Finding["rule"] = "endpoint-full-access", message = `${resource.name}: ${rule}`): Finding => ({
  rule,
  action,
  message,
  fix: "restrict the policy",
  guide: "Endpoints for Amazon S3",
  resource,
  path: "spec.forProvider.policy",
});

describe("buildReport", () => {
  it("maps deny → fail/high, warn → warn/medium, audit → warn/low, with the field path, fix, guide and action as properties", () => {
    const store = new ResultStore();
    const a = ref("a");
    store.set("a", a, [finding(a, "deny", "source-ip-condition"), finding(a, "warn"), finding(a, "audit", "required-bucket-access")], 1_700_000_000_500);
    const { object } = buildReport("team-a", store.entries("team-a"));
    expect(object.kind).toBe("PolicyReport");
    expect(object.metadata).toMatchObject({ name: "s3-vpce-guard", namespace: "team-a", labels: { "app.kubernetes.io/managed-by": "s3-vpce-guard" } });
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

  it("caps the listed results by size, fails first, and says how many were left out", () => {
    const store = new ResultStore();
    for (let i = 0; i < 50; i++) {
      const r = ref(`o${i}`);
      store.set(`o${i}`, r, [finding(r, i % 2 === 0 ? "warn" : "deny")]);
    }
    const { object } = buildReport("team-a", store.entries("team-a"), { maxResultsBytes: 5_000 });
    expect(object.results.length).toBeGreaterThan(0);
    expect(object.results.length).toBeLessThan(50);
    expect(object.results.every((r) => r.result === "fail")).toBe(true);
    expect(object.metadata.annotations[OMITTED_ANNOTATION]).toBe(String(50 - object.results.length));
    expect(object.summary).toMatchObject({ fail: 25, warn: 25 });
  });

  it("an object that moves namespace leaves its old scope", () => {
    const store = new ResultStore();
    store.set("k", ref("a", "one"), []);
    store.set("k", ref("a", "two"), []);
    expect([...store.scopes()]).toEqual(["two"]);
  });
});
