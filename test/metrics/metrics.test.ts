import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { WATCHED_KINDS } from "../../src/core/model/kinds.js";
import { createMetrics, EC2_OPERATIONS } from "../../src/platform/telemetry/metrics.js";

/** The metrics the chart's alerts, its dashboard and docs/runbook.md query: name → [type, label names]. */
const SPEC: Record<string, [string, string[]]> = {
  s3_vpce_guard_violations: ["gauge", ["rule", "action", "kind", "namespace"]],
  s3_vpce_guard_admission_requests_total: ["counter", ["kind", "operation", "decision"]],
  s3_vpce_guard_admission_duration_seconds: ["histogram", ["kind", "operation"]],
  s3_vpce_guard_admission_findings_total: ["counter", ["rule", "action"]],
  s3_vpce_guard_audit_duration_seconds: ["histogram", []],
  s3_vpce_guard_audit_last_success_timestamp_seconds: ["gauge", []],
  s3_vpce_guard_inventory_resources: ["gauge", ["kind"]],
  s3_vpce_guard_watch_restarts_total: ["counter", ["kind", "reason"]],
  s3_vpce_guard_aws_requests_total: ["counter", ["operation", "outcome"]],
  s3_vpce_guard_leader: ["gauge", []],
  // Failed writes to the API server (README "Alerts and runbook": S3VpceGuardKubeWriteErrors).
  s3_vpce_guard_kube_write_errors_total: ["counter", ["resource", "code"]],
  // Ours: admission reviews ended unchecked by the work limit.
  s3_vpce_guard_review_limit_exceeded_total: ["counter", ["decision"]],
  s3_vpce_guard_undecided_total: ["counter", ["rule"]],
};

describe("createMetrics", () => {
  it("registers every SPEC metric with exactly its type and labels", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const registered = await metrics.registry.getMetricsAsJSON();
    const ours = Object.fromEntries(registered.map((m) => [m.name, m.type]));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(SPEC).sort());
    for (const [name, [type]] of Object.entries(SPEC)) expect(ours[name], name).toBe(type);
    const labelsOf = (name: string) => (metrics.registry.getSingleMetric(name) as unknown as { labelNames: string[] }).labelNames;
    for (const [name, [, labels]] of Object.entries(SPEC)) expect(labelsOf(name), name).toEqual(labels);
  });

  it("refuses labels the SPEC does not define", () => {
    const metrics = createMetrics({ processMetrics: false });
    expect(() =>
      metrics.admissionRequests.inc({ kind: "Bucket", operation: "CREATE", decision: "allowed", extra: "x" } as never),
    ).toThrow();
  });

  it("adds the default process metrics on the same registry, and nothing to the global one", async () => {
    const metrics = createMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toContain("nodejs_heap_size_used_bytes");
    const { register } = await import("prom-client");
    expect(register.getSingleMetric("s3_vpce_guard_leader")).toBeUndefined();
  });

  it("reads the inventory size per kind on every scrape", async () => {
    let counts: [string, number][] = [["Endpoint", 2]];
    const metrics = createMetrics({ processMetrics: false, inventoryCounts: () => counts });
    expect(await metrics.registry.metrics()).toContain('s3_vpce_guard_inventory_resources{kind="Endpoint"} 2');
    counts = [["Bucket", 5]];
    const text = await metrics.registry.metrics();
    expect(text).toContain('s3_vpce_guard_inventory_resources{kind="Bucket"} 5');
    expect(text).not.toContain('kind="Endpoint"');
  });

  // The alerts (test/alerts/*.test.yaml) rely on these series existing before the first event.
  describe("series the alerts watch exist at start-up", () => {
    const fresh = async () => (await createMetrics({ processMetrics: false }).registry.metrics()).split("\n");

    it("leader and last-audit gauges are 0 (NoLeader and AuditStale fire on a replica that never leads or audits)", async () => {
      const lines = await fresh();
      expect(lines).toContain("s3_vpce_guard_leader 0");
      expect(lines).toContain("s3_vpce_guard_audit_last_success_timestamp_seconds 0");
    });

    it("admission errors are 0 for every watched kind with CREATE, UPDATE and DELETE, and for unknown requests", async () => {
      const lines = await fresh();
      const kinds = [...new Set(WATCHED_KINDS.map((k) => k.kind))];
      expect(kinds.length).toBeGreaterThan(3);
      for (const kind of kinds) {
        for (const operation of ["CREATE", "UPDATE", "DELETE"]) {
          expect(lines).toContain(`s3_vpce_guard_admission_requests_total{kind="${kind}",operation="${operation}",decision="error"} 0`);
        }
      }
      expect(lines).toContain('s3_vpce_guard_admission_requests_total{kind="unknown",operation="unknown",decision="error"} 0');
      expect(lines.filter((l) => l.startsWith("s3_vpce_guard_admission_requests_total{"))).toHaveLength(kinds.length * 3 + 1);
    });

    it("failed and throttled EC2 calls are 0 for every operation src/platform/aws/ec2-source.ts calls", async () => {
      const source = readFileSync(new URL("../../src/platform/aws/ec2-source.ts", import.meta.url), "utf8");
      const called = [...source.matchAll(/this\.paged\(\s*region,\s*"(\w+)"/g)].map((m) => m[1]);
      expect([...called].sort()).toEqual([...EC2_OPERATIONS].sort());
      const lines = await fresh();
      for (const operation of EC2_OPERATIONS) {
        for (const outcome of ["error", "throttled"])
          expect(lines).toContain(`s3_vpce_guard_aws_requests_total{operation="${operation}",outcome="${outcome}"} 0`);
      }
      expect(lines.some((l) => l.includes('outcome="success"'))).toBe(false);
    });

    it("gauges and counters with open label values start with no series", async () => {
      const lines = await fresh();
      for (const name of [
        "s3_vpce_guard_violations",
        "s3_vpce_guard_kube_write_errors_total",
        "s3_vpce_guard_admission_findings_total",
        "s3_vpce_guard_watch_restarts_total",
      ]) {
        expect(
          lines.filter((l) => l.startsWith(`${name}{`)),
          name,
        ).toEqual([]);
      }
    });
  });
});
