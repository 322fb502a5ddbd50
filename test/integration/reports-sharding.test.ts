// Reports at fleet scale behind a real kube-apiserver: a cluster-scoped set with more findings
// than one report could hold ends up complete across per-kind shards, each well under etcd's
// limit; deletions take results (and emptied shards) away; a report of the previous layout —
// what `helm upgrade` from the previous chart leaves behind — is gone after the first audit.
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { configSchema } from "../../src/cli/config/schema.js";
import { ClusterInventory } from "../../src/platform/kube/cluster-inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { DEFAULT_MAX_RESULTS_BYTES, SHARD_ANNOTATION, type PolicyReportObject } from "../../src/app/audit/policy-reports.js";
import { type Reconciler } from "../../src/app/audit/reconciler.js";
import { describeIntegration, rawKubeRequest, startControlPlane, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { reconcilerReplica } from "../harness/reconciler-replica.js";
import { until } from "../harness/wait.js";
import { upjetEndpoint } from "../helpers/manifests.js";

const REPORTS = "/apis/wgpolicyk8s.io/v1alpha2";
const OURS = `labelSelector=${encodeURIComponent("app.kubernetes.io/managed-by=s3-vpce-guard")}`;
/** Each endpoint without a policy or route table has two findings (~2 KB of results). */
const BULK = 1_200;
const bulkName = (i: number) => `bulk-${String(i).padStart(5, "0")}`;

interface ListedReport extends PolicyReportObject {
  metadata: PolicyReportObject["metadata"] & { uid: string };
}

describeIntegration("reports that omit nothing, against a real API server", () => {
  let controlPlane: ControlPlane;
  let cluster: ClusterInventory;
  let reconciler: Reconciler;
  const logLines: string[] = [];
  const logger = createLogger({ level: "warn", destination: { write: (line: string) => void logLines.push(line) } });

  async function request(method: string, path: string, body?: unknown): Promise<string> {
    const response = await rawKubeRequest(controlPlane.kubeConfig, { method, path, body });
    if (response.statusCode >= 300)
      throw new Error(`${method} ${path} answered HTTP ${response.statusCode}: ${response.body.slice(0, 500)}`);
    return response.body;
  }

  /** Runs `work` over `items` with a few requests in flight (the API server's own pace). */
  async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<unknown>, width = 16): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < items.length) await work(items[next++]!);
      }),
    );
  }

  async function clusterReports(): Promise<Array<{ report: ListedReport; bytes: number }>> {
    const { items } = JSON.parse(await request("GET", `${REPORTS}/clusterpolicyreports?${OURS}`)) as { items: ListedReport[] };
    return items.map((report) => ({ report, bytes: JSON.stringify(report).length }));
  }

  /** object name → its rules, over every ClusterPolicyReport of ours. */
  async function resultsByObject(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const { report } of await clusterReports()) {
      for (const r of report.results) {
        const name = r.resources[0]!.name;
        out.set(name, [...(out.get(name) ?? []), r.rule].sort());
      }
    }
    return out;
  }

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    await installCrds(controlPlane.kubeConfig);
    // The previous layout, as the previous version wrote it: one ClusterPolicyReport named
    // s3-vpce-guard, capped, with the omitted count. And a report that is not ours.
    await request("POST", `${REPORTS}/clusterpolicyreports`, {
      apiVersion: "wgpolicyk8s.io/v1alpha2",
      kind: "ClusterPolicyReport",
      metadata: {
        name: "s3-vpce-guard",
        labels: { "app.kubernetes.io/managed-by": "s3-vpce-guard" },
        annotations: { "s3-vpce-guard.io/content-hash": "0".repeat(32), "s3-vpce-guard.io/omitted-results": "241" },
      },
      summary: { pass: 0, fail: 0, warn: 1, error: 0, skip: 0 },
      results: [
        {
          source: "s3-vpce-guard",
          policy: "s3-vpce-guard",
          rule: "endpoint-full-access",
          result: "warn",
          severity: "medium",
          scored: true,
          message: "old",
          resources: [{ apiVersion: "ec2.aws.upbound.io/v1beta2", kind: "VPCEndpoint", name: "long-gone" }],
        },
      ],
    });
    await request("POST", `${REPORTS}/clusterpolicyreports`, {
      apiVersion: "wgpolicyk8s.io/v1alpha2",
      kind: "ClusterPolicyReport",
      metadata: { name: "someone-else" },
      summary: { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 },
      results: [],
    });
    for (let i = 0; i < 20; i++)
      await request("POST", objectPath(upjetEndpoint({ name: `early-${i}` })), upjetEndpoint({ name: `early-${i}` }));

    ({ cluster, reconciler } = reconcilerReplica({
      kubeConfig: controlPlane.kubeConfig,
      // Events off: this file is about reports (events-leader.test.ts is about Events).
      config: configSchema.parse({ events: { audit: "off" } }),
      logger,
      identity: "reports-test",
      lease: false,
      cluster: { discoveryIntervalMs: 1_000 },
      reconciler: { debounceMs: 100, auditIntervalMs: 600_000 },
    }));
    reconciler.start();
    await cluster.synced;
  }, 300_000);

  afterAll(async () => {
    await reconciler?.stop();
    await cluster?.stop();
    await controlPlane?.stop();
  });

  it("a report of the previous layout is deleted by the first audit; one that is not ours stays", async () => {
    await until("the first audit", () => reconciler.lastFullAudit !== undefined, 30_000);
    await until(
      "the old single ClusterPolicyReport to be deleted",
      async () =>
        (await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: `${REPORTS}/clusterpolicyreports/s3-vpce-guard` }))
          .statusCode === 404,
      20_000,
    );
    await until("the per-kind report", async () => (await resultsByObject()).size === 20, 20_000);
    expect((await clusterReports()).map(({ report }) => report.metadata.name)).toEqual(["s3-vpce-guard-vpcendpoint.ec2.aws.upbound.io"]);
    expect(JSON.parse(await request("GET", `${REPORTS}/clusterpolicyreports/someone-else`))).toMatchObject({
      metadata: { name: "someone-else" },
    });
  });

  it(`${BULK} cluster-scoped endpoints: every result is in exactly one shard, each shard well under etcd's limit`, async () => {
    await inParallel([...Array(BULK).keys()], (i) =>
      request("POST", objectPath(upjetEndpoint({ name: bulkName(i) })), upjetEndpoint({ name: bulkName(i) })),
    );
    await until(
      "every result in the reports",
      async () => {
        const byObject = await resultsByObject();
        return [...Array(BULK).keys()].every((i) => byObject.get(bulkName(i))?.length === 2);
      },
      120_000,
    );
    const reports = await clusterReports();
    const totalResults = reports.reduce((n, { report }) => n + report.results.length, 0);
    // More than one report could hold: the previous layout capped near 1 MB of results.
    const totalBytes = reports.reduce((n, { bytes }) => n + bytes, 0);
    expect(totalBytes).toBeGreaterThan(1_500_000);
    expect(totalResults).toBe((BULK + 20) * 2);
    expect(reports.length).toBeGreaterThanOrEqual(4);
    for (const { report, bytes } of reports) {
      expect(report.metadata.name).toMatch(/^s3-vpce-guard-vpcendpoint-(\d+)-of-(\d+)\.ec2\.aws\.upbound\.io$/);
      expect(report.metadata.annotations[SHARD_ANNOTATION]).toBe(
        report.metadata.name.replace(/^s3-vpce-guard-vpcendpoint-(\d+)-of-(\d+)\..*$/, "$1/$2"),
      );
      expect(report.metadata.annotations["s3-vpce-guard.io/omitted-results"]).toBeUndefined();
      expect(bytes).toBeLessThan(DEFAULT_MAX_RESULTS_BYTES + 50_000);
      expect(report.summary.warn).toBe(report.results.length);
    }
    // No result twice.
    const keys = reports.flatMap(({ report }) => report.results.map((r) => `${r.resources[0]!.name} ${r.rule}`));
    expect(new Set(keys).size).toBe(keys.length);
  }, 240_000);

  it("deleting an object takes its results away; shards left empty by a shrink are deleted", async () => {
    const before = new Map((await clusterReports()).map(({ report }) => [report.metadata.name, report.metadata.uid]));
    await request("DELETE", objectPath(upjetEndpoint({ name: bulkName(7) }), bulkName(7)));
    await until("the deleted endpoint's results to go", async () => !(await resultsByObject()).has(bulkName(7)), 20_000);
    expect((await resultsByObject()).size).toBe(BULK + 20 - 1);
    // Same shards (the same names and objects): only the one holding bulk-00007 was rewritten in place.
    expect(new Map((await clusterReports()).map(({ report }) => [report.metadata.name, report.metadata.uid]))).toEqual(before);

    // Down to a few: one report holds them again, under its plain name; the shards are deleted.
    await inParallel(
      [...Array(BULK).keys()].filter((i) => i !== 7 && i >= 10),
      (i) => request("DELETE", objectPath(upjetEndpoint({ name: bulkName(i) }), bulkName(i))),
    );
    await until("the deleted endpoints' results to go", async () => (await resultsByObject()).size === 9 + 20, 60_000);
    await until(
      "one report for the endpoints again",
      async () =>
        (await clusterReports()).map(({ report }) => report.metadata.name).join() === "s3-vpce-guard-vpcendpoint.ec2.aws.upbound.io",
      20_000,
    );
    const byObject = await resultsByObject();
    expect([...byObject.keys()].filter((n) => n.startsWith("bulk-")).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9].map(bulkName));
    expect(byObject.size).toBe(9 + 20);

    // The last cluster-scoped object gone: no ClusterPolicyReport of ours is left.
    await inParallel([...byObject.keys()], (name) => request("DELETE", objectPath(upjetEndpoint({ name }), name)));
    await until("no ClusterPolicyReport of ours", async () => (await clusterReports()).length === 0, 30_000);
    expect(logLines.filter((l) => /"level":(40|50)|"level":"(warn|error)"/.test(l))).toEqual([]);
  }, 180_000);

  it("the namespace's report keeps its name (no migration for namespaced reports)", async () => {
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "s3vg-shards" } } });
    const namespaced = upjetEndpoint({ name: "m-open", namespace: "s3vg-shards" }, "namespaced");
    await request("POST", objectPath(namespaced as KubeObject), namespaced);
    await until(
      "the namespace's PolicyReport",
      async () =>
        (
          await rawKubeRequest(controlPlane.kubeConfig, {
            method: "GET",
            path: `${REPORTS}/namespaces/s3vg-shards/policyreports/s3-vpce-guard`,
          })
        ).statusCode === 200,
      20_000,
    );
  });
});
