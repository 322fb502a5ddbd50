import { describe, expect, it, vi } from "vitest";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { Auditor } from "../../src/app/audit/audit.js";
import { setViolationsGauge } from "../../src/app/audit/reconciler.js";
import { ResultStore } from "../../src/app/audit/results.js";
import { bucketGrant, denyUnlessEndpoint, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";
import { TestCluster } from "./helpers.js";

const VPCE = "vpce-0a1b2c3d4e5f67890";

function setup(debounceMs = 0) {
  const cluster = new TestCluster();
  const results = new ResultStore();
  let batches = 0;
  const auditor = new Auditor({
    inventory: cluster.inventory,
    config: cluster.config,
    results,
    debounceMs,
    onResultsChanged: () => batches++,
  });
  cluster.onChange((c) => auditor.handleChange(c));
  return { cluster, results, auditor, batches: () => batches };
}

const rulesOf = (results: ResultStore, key: string) =>
  results
    .get(key)
    ?.findings.map((f) => f.rule)
    .sort() ?? [];
const policyKey = "s3.aws.upbound.io/BucketPolicy//my-secure-bucket-policy";
const endpointKey = "ec2.aws.upbound.io/VPCEndpoint//e";

describe("Auditor", () => {
  it("a full audit records every audited object, clean ones with no findings", async () => {
    const { cluster, results, auditor } = setup();
    cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE, policy: bucketGrant("my-secure-bucket") }));
    cluster.apply(upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }));
    const stats = await auditor.fullAudit();
    expect(stats.objects).toBe(2);
    expect(results.size).toBe(2);
    expect(rulesOf(results, policyKey)).toEqual([]);
  });

  it("deleting the endpoint a bucket policy requires brings unknown-endpoint-reference on the policy", async () => {
    const { cluster, results, auditor } = setup();
    const endpoint = upjetEndpoint({ name: "e", awsId: VPCE, policy: bucketGrant("my-secure-bucket") });
    cluster.apply(endpoint);
    cluster.apply(upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }));
    await auditor.fullAudit();
    auditor.activate();
    cluster.remove(endpoint);
    await auditor.flush();
    expect(results.has(endpointKey)).toBe(false);
    expect(rulesOf(results, policyKey)).toEqual(["unknown-endpoint-reference"]);
    cluster.apply(endpoint);
    await auditor.flush();
    expect(rulesOf(results, policyKey)).toEqual([]);
  });

  it("fixing an object removes its finding; an unchanged relist evaluates nothing", async () => {
    const { cluster, results, auditor, batches } = setup();
    cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE }));
    await auditor.fullAudit();
    auditor.activate();
    expect(rulesOf(results, endpointKey)).toContain("endpoint-full-access");
    const before = batches();
    cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE }));
    await auditor.flush();
    expect(batches()).toBe(before);
    cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE, policy: bucketGrant("data") }));
    await auditor.flush();
    expect(rulesOf(results, endpointKey)).not.toContain("endpoint-full-access");
  });

  it("changes within the batch window are evaluated together, once", async () => {
    // The batch window is a setTimeout: fake timers move it, no wall clock is waited on.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { cluster, auditor, batches } = setup(50);
      auditor.activate();
      for (let i = 0; i < 20; i++) cluster.apply(upjetEndpoint({ name: `e${i}` }));
      expect(auditor.queued).toBe(20);
      await vi.advanceTimersByTimeAsync(49);
      expect(auditor.queued).toBe(20);
      expect(batches()).toBe(0);
      // The window closes: the timer starts one drain of all twenty (flush joins it).
      await vi.advanceTimersByTimeAsync(1);
      expect(auditor.queued).toBe(0);
      await auditor.flush();
      expect(batches()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("queues nothing while inactive (not the leader), but keeps its dependency index current", async () => {
    const { cluster, results, auditor } = setup();
    cluster.apply(upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }));
    cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE }));
    expect(auditor.queued).toBe(0);
    const endpoint = cluster.inventory.get({ apiVersion: "ec2.aws.upbound.io/v1beta2", kind: "VPCEndpoint", namespace: null, name: "e" });
    expect(auditor.dependencies.dependentsOf(undefined, endpoint).map((d) => d.key)).toContain(policyKey);
    expect(results.size).toBe(0);
  });

  it("a full audit drops results of objects that disappeared while nobody listened", async () => {
    const { cluster, results, auditor } = setup();
    const raw = upjetEndpoint({ name: "e" });
    cluster.apply(raw);
    await auditor.fullAudit();
    expect(results.has(endpointKey)).toBe(true);
    cluster.inventory.remove(cluster.model(raw).ref);
    await auditor.fullAudit();
    expect(results.has(endpointKey)).toBe(false);
  });
});

describe("violations gauge", () => {
  it("is set from the current results, and label sets whose findings are gone disappear", async () => {
    const { cluster, results, auditor } = setup();
    const metrics = createMetrics({ processMetrics: false });
    cluster.apply(upjetEndpoint({ name: "e1" }));
    cluster.apply(upjetEndpoint({ name: "e2" }));
    cluster.apply(upjetEndpoint({ name: "ns", namespace: "team-a" }, "namespaced"));
    await auditor.fullAudit();
    setViolationsGauge(metrics, results);
    const value = async (labels: Record<string, string>) =>
      (await metrics.violations.get()).values.find((v) =>
        Object.entries(labels).every(([k, l]) => (v.labels as Record<string, string | number | undefined>)[k] === l),
      )?.value;
    expect(await value({ rule: "endpoint-full-access", kind: "VPCEndpoint", namespace: "" })).toBe(2);
    expect(await value({ rule: "endpoint-full-access", kind: "VPCEndpoint", namespace: "team-a" })).toBe(1);
    setViolationsGauge(metrics, results);
    expect(await value({ rule: "endpoint-full-access", namespace: "" })).toBe(2); // set, never accumulated

    auditor.activate();
    cluster.apply(upjetEndpoint({ name: "e1", policy: bucketGrant("data") }));
    cluster.remove(upjetEndpoint({ name: "ns", namespace: "team-a" }, "namespaced"));
    await auditor.flush();
    setViolationsGauge(metrics, results);
    expect(await value({ rule: "endpoint-full-access", namespace: "" })).toBe(1);
    expect(await value({ rule: "endpoint-full-access", namespace: "team-a" })).toBeUndefined();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/s3_vpce_guard_violations\{rule="endpoint-full-access",action="warn",kind="VPCEndpoint",namespace=""\} 1/);
  });
});

describe("Auditor and failing rules", () => {
  it("a rule that throws on one object keeps that object's previous result and audits the rest", async () => {
    const cluster = new TestCluster();
    const results = new ResultStore();
    const failed: string[] = [];
    const throwing = {
      id: "ipv4-only" as const,
      defaultAction: "warn" as const,
      guide: "g",
      description: "d",
      appliesTo: ["Endpoint" as const],
      check(subject: { ref: { name: string } }) {
        if (subject.ref.name === "bad") throw new Error("rule bug");
        return [];
      },
    };
    const auditor = new Auditor({
      inventory: cluster.inventory,
      config: cluster.config,
      results,
      rules: [throwing],
      onError: (ref) => failed.push(ref.name),
    });
    cluster.apply(upjetEndpoint({ name: "bad" }));
    cluster.apply(upjetEndpoint({ name: "good" }));
    const stats = await auditor.fullAudit();
    expect(stats.objects).toBe(2);
    expect(failed).toEqual(["bad"]);
    expect(results.has("ec2.aws.upbound.io/VPCEndpoint//good")).toBe(true);
  });
});
