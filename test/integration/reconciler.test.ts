// The reconciler behind a real kube-apiserver: objects of every family become PolicyReport
// results, Events and gauge values; fixes and deletions take them away; an API server
// restart changes nothing; a Lease elects exactly one writer and hands over when it stops.
import { CoreV1Api, type CoreV1Event } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { defaultConfig } from "../../src/cli/config/schema.js";
import { ClusterInventory } from "../../src/platform/kube/cluster-inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import type { Metrics } from "../../src/platform/telemetry/metrics.js";
import { startMetricsServer, type MetricsServer } from "../../src/platform/http/metrics-server.js";
import type { PolicyReportObject } from "../../src/app/audit/policy-reports.js";
import { type Reconciler } from "../../src/app/audit/reconciler.js";
import { describeIntegration, rawKubeRequest, startControlPlane, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { reconcilerReplica } from "../harness/reconciler-replica.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  communityEndpoint,
  denyUnlessEndpoint,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
  PRIVATE_SOURCE_IP_POLICY,
} from "../helpers/manifests.js";
import { sleep, until as waitUntil } from "../harness/wait.js";
import { getText } from "../harness/http.js";

const team = "s3vg-audit";
const VPCE = "vpce-0a1b2c3d4e5f67890";
const LEASE = { name: "s3-vpce-guard", namespace: "default", leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

const privateSourceIp = PRIVATE_SOURCE_IP_POLICY;

/** What the last report read looked like, for timeout messages. */
let lastSeen = "";

const until = (what: string, condition: () => boolean | Promise<boolean>, timeoutMs?: number) =>
  waitUntil(what, condition, timeoutMs, () => (lastSeen ? `last seen: ${lastSeen}` : ""));

interface Replica {
  identity: string;
  cluster: ClusterInventory;
  reconciler: Reconciler;
  metrics: Metrics;
  metricsServer: MetricsServer;
  stop(): Promise<void>;
}

describeIntegration("reconciler against a real API server", () => {
  let controlPlane: ControlPlane;
  let a: Replica;
  let b: Replica | undefined;
  let d: Replica | undefined;
  const logLines: string[] = [];
  const logger = createLogger({
    level: process.env.S3VG_IT_LOG_LEVEL ?? "warn",
    destination: {
      write(line: string) {
        logLines.push(line);
        if (process.env.S3VG_IT_LOG_LEVEL) process.stdout.write(line);
      },
    },
  });

  async function startReplica(identity: string): Promise<Replica> {
    const { cluster, reconciler, metrics } = reconcilerReplica({
      kubeConfig: controlPlane.kubeConfig,
      config: defaultConfig(),
      logger,
      identity,
      lease: LEASE,
      cluster: { discoveryIntervalMs: 1_000, informer: { backoff: { initialMs: 100, maxMs: 1_000 }, watchdogMs: 60_000 } },
      reconciler: { debounceMs: 100, auditIntervalMs: 60_000 },
    });
    reconciler.start();
    const metricsServer = await startMetricsServer(metrics.registry, 0, "127.0.0.1");
    return {
      identity,
      cluster,
      reconciler,
      metrics,
      metricsServer,
      async stop() {
        await reconciler.stop();
        await cluster.stop();
        await metricsServer.close();
      },
    };
  }

  const pathOf = objectPath;

  async function request(method: string, path: string, body?: unknown, contentType?: string): Promise<string> {
    const response = await rawKubeRequest(controlPlane.kubeConfig, { method, path, body, ...(contentType ? { contentType } : {}) });
    if (response.statusCode >= 300) throw new Error(`${method} ${path} answered HTTP ${response.statusCode}: ${response.body}`);
    return response.body;
  }
  const create = (o: KubeObject) => request("POST", pathOf(o), o);
  const remove = (o: KubeObject) => request("DELETE", pathOf(o, o.metadata.name));
  const replace = async (o: KubeObject) => {
    const current = JSON.parse(await request("GET", pathOf(o, o.metadata.name))) as KubeObject;
    await request("PUT", pathOf(o, o.metadata.name), {
      ...o,
      metadata: { ...o.metadata, resourceVersion: current.metadata.resourceVersion },
    });
  };

  /**
   * The namespace's PolicyReport, or for null all ClusterPolicyReports of ours (one per kind)
   * seen as one: results concatenated, summaries added. Undefined when there is none.
   */
  async function report(namespace: string | null): Promise<PolicyReportObject | undefined> {
    const path = namespace
      ? `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${namespace}/policyreports/s3-vpce-guard`
      : `/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports?labelSelector=${encodeURIComponent("app.kubernetes.io/managed-by=s3-vpce-guard")}`;
    const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path });
    lastSeen = `${path}: HTTP ${response.statusCode}`;
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${response.statusCode} ${response.body}`);
    let parsed: PolicyReportObject;
    if (namespace) parsed = JSON.parse(response.body) as PolicyReportObject;
    else {
      const { items } = JSON.parse(response.body) as { items: PolicyReportObject[] };
      if (items.length === 0) return undefined;
      parsed = {
        ...items[0]!,
        summary: items.reduce(
          (sum, r) => ({
            pass: sum.pass + r.summary.pass,
            fail: sum.fail + r.summary.fail,
            warn: sum.warn + r.summary.warn,
            error: 0,
            skip: 0,
          }),
          { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
        ),
        results: items.flatMap((r) => r.results),
      };
    }
    lastSeen = `${path}: ${JSON.stringify({ summary: parsed.summary, results: entries(parsed) })}`;
    return parsed;
  }

  /** "kind/name rule result" of every result, sorted. */
  const entries = (r: PolicyReportObject | undefined): string[] =>
    (r?.results ?? []).map((x) => `${x.resources[0]!.kind}/${x.resources[0]!.name} ${x.rule} ${x.result}`).sort();
  const rulesFor = (r: PolicyReportObject | undefined, name: string): string[] =>
    (r?.results ?? [])
      .filter((x) => x.resources[0]!.name === name)
      .map((x) => x.rule)
      .sort();

  const scrape = (port: number): Promise<string> => getText(`http://127.0.0.1:${port}/metrics`);
  const gaugeValue = (text: string, labels: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(`s3_vpce_guard_violations{${labels}}`));
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  };

  async function eventsFor(name: string, namespace: string): Promise<CoreV1Event[]> {
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    return list.items.filter((e) => e.source?.component === "s3-vpce-guard");
  }

  // Objects of every family.
  const upjetOpen = upjetEndpoint({ name: "upjet-open" }); // no policy: endpoint-full-access; no RTA: gateway-without-route-tables
  const upjetRestricted = upjetEndpoint({
    name: "upjet-restricted",
    // status is a subresource: the AWS id comes from the external-name annotation.
    annotations: { "crossplane.io/external-name": VPCE },
    policy: bucketGrant("my-secure-bucket"),
  });
  const upjetRta = upjetRouteTableAssociation({ name: "upjet-restricted-rtb", endpointRef: "upjet-restricted" });
  const upjetLocked = upjetBucketPolicy({
    name: "upjet-locked",
    bucket: "my-secure-bucket",
    policy: denyUnlessEndpoint("my-secure-bucket", VPCE),
  });
  const namespacedPrivateIp = upjetBucketPolicy({ name: "m-private-ip", policy: privateSourceIp, namespaced: true, namespace: team });
  const communityOpen = communityEndpoint({ name: "community-open" });
  const ackClean = ackEndpoint({ name: "ack-restricted", namespace: team, policy: bucketGrant("my-secure-bucket") });
  const ackPrivateIp = ackBucket({ name: "ack-private-ip", namespace: team, region: "us-east-1", policy: privateSourceIp });

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    await installCrds(controlPlane.kubeConfig);
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: team } } });
    a = await startReplica("replica-a");
    await a.cluster.synced;
    await until("replica-a to lead", () => a.reconciler.isLeader);
  }, 300_000);

  afterAll(async () => {
    await d?.stop();
    await b?.stop();
    await a?.stop();
    await controlPlane?.stop();
  });

  it("reports violating objects of every family within seconds, and counts compliant ones as pass", async () => {
    for (const o of [upjetOpen, upjetRestricted, upjetRta, upjetLocked, namespacedPrivateIp, communityOpen, ackClean, ackPrivateIp])
      await create(o);
    await until(
      "the ClusterPolicyReport",
      async () => {
        const r = await report(null);
        return rulesFor(r, "upjet-open").length === 2 && rulesFor(r, "community-open").length > 0 && (r?.summary.pass ?? 0) >= 2;
      },
      10_000,
    );
    const cluster = await report(null);
    expect(rulesFor(cluster, "upjet-open")).toEqual(["endpoint-full-access", "gateway-without-route-tables"]);
    expect(rulesFor(cluster, "community-open")).toEqual(["endpoint-full-access"]);
    // Compliant: the restricted endpoint with its association, and the bucket policy that admits it.
    expect(rulesFor(cluster, "upjet-restricted")).toEqual([]);
    expect(rulesFor(cluster, "upjet-locked")).toEqual([]);
    expect(cluster!.summary).toMatchObject({ pass: 2, warn: 3, fail: 0 });
    const warn = cluster!.results.find((x) => x.resources[0]!.name === "community-open")!;
    expect(warn).toMatchObject({ policy: "s3-vpce-guard", result: "warn", severity: "medium", properties: { action: "warn" } });
    expect(warn.resources[0]!.uid).toMatch(/[0-9a-f-]{36}/);

    // A private aws:SourceIp range in an Allow: deny-level (never matches through an endpoint).
    // The statement's "grants nothing to endpoint traffic" warning would say the same again,
    // so it is not repeated.
    await until("the namespace PolicyReport", async () => entries(await report(team)).length === 2, 10_000);
    const namespaced = await report(team);
    expect(entries(namespaced)).toEqual([
      "Bucket/ack-private-ip source-ip-condition fail",
      "BucketPolicy/m-private-ip source-ip-condition fail",
    ]);
    expect(namespaced!.summary).toMatchObject({ pass: 1, fail: 2, warn: 0 });
    expect(namespaced!.results[0]).toMatchObject({ result: "fail", severity: "high", properties: { action: "deny" } });
    expect(namespaced!.results[0]!.properties.path).toContain("aws:SourceIp");

    await until(
      "one Event on the offending object summarising its findings",
      async () => (await eventsFor("ack-private-ip", team)).length === 1,
      10_000,
    );
    const [event] = await eventsFor("ack-private-ip", team);
    expect(event).toMatchObject({
      type: "Warning",
      reason: "PolicyViolation",
      involvedObject: { kind: "Bucket", name: "ack-private-ip", namespace: team },
    });
    expect(event!.message).toMatch(/^1 finding \(1 deny\): source-ip-condition: /);
  });

  it("exports the violations gauge from the current results", async () => {
    const text = await scrape(a.metricsServer.port);
    expect(gaugeValue(text, `rule="source-ip-condition",action="deny",kind="Bucket",namespace="${team}"`)).toBe(1);
    expect(gaugeValue(text, `rule="source-ip-condition",action="deny",kind="BucketPolicy",namespace="${team}"`)).toBe(1);
    expect(gaugeValue(text, `rule="endpoint-full-access",action="warn",kind="VPCEndpoint",namespace=""`)).toBe(2);
    expect(text).toMatch(/^s3_vpce_guard_leader 1$/m);
    expect(text).toMatch(/^s3_vpce_guard_audit_last_success_timestamp_seconds \d+/m);
  });

  it("fixing an object removes its failure and lowers the gauge; deleting one removes its result", async () => {
    await replace(ackBucket({ name: "ack-private-ip", namespace: team, region: "us-east-1" }));
    await until("the fixed bucket's failure to go", async () => rulesFor(await report(team), "ack-private-ip").length === 0, 10_000);
    expect((await report(team))!.summary).toMatchObject({ pass: 2, fail: 1, warn: 0 });
    const text = await scrape(a.metricsServer.port);
    expect(gaugeValue(text, `rule="source-ip-condition",action="deny",kind="Bucket",namespace="${team}"`)).toBeUndefined();
    expect(gaugeValue(text, `rule="source-ip-condition",action="deny",kind="BucketPolicy",namespace="${team}"`)).toBe(1);

    await remove(namespacedPrivateIp);
    await until("the deleted policy's result to go", async () => entries(await report(team)).length === 0, 10_000);
    expect((await report(team))!.summary).toMatchObject({ pass: 2, fail: 0, warn: 0 });
  });

  it("deleting the endpoint a bucket policy requires brings unknown-endpoint-reference on the policy", async () => {
    await remove(upjetRestricted);
    await until(
      "unknown-endpoint-reference",
      async () => rulesFor(await report(null), "upjet-locked").includes("unknown-endpoint-reference"),
      10_000,
    );
    const result = (await report(null))!.results.find((x) => x.resources[0]!.name === "upjet-locked")!;
    expect(result.message).toContain(VPCE);
    await create(upjetRestricted);
    await until("the policy to be clean again", async () => rulesFor(await report(null), "upjet-locked").length === 0, 10_000);
  });

  it("converges after an API server restart with no duplicate and no lost result", async () => {
    const before = { cluster: entries(await report(null)), namespaced: entries(await report(team)) };
    const eventsBefore = await eventsFor("upjet-open", "default");
    expect(eventsBefore.map((e) => e.message)).toEqual([
      expect.stringMatching(/^2 findings \(2 warn\): endpoint-full-access: .*; gateway-without-route-tables: /),
    ]);
    await controlPlane.restartApiServer();
    // A change made right after the restart must arrive too.
    const late = upjetEndpoint({ name: "after-restart" });
    await until("the API server to take writes", async () => {
      await create(late);
      return true;
    });
    await until("the new object's result", async () => rulesFor(await report(null), "after-restart").length === 2, 20_000);
    const after = { cluster: entries(await report(null)), namespaced: entries(await report(team)) };
    expect(after.cluster).toEqual(
      [
        ...before.cluster,
        "VPCEndpoint/after-restart endpoint-full-access warn",
        "VPCEndpoint/after-restart gateway-without-route-tables warn",
      ].sort(),
    );
    expect(after.namespaced).toEqual(before.namespaced);
    expect(new Set(after.cluster).size).toBe(after.cluster.length);
    expect((await eventsFor("upjet-open", "default")).length).toBe(eventsBefore.length);
    const text = await scrape(a.metricsServer.port);
    expect(gaugeValue(text, `rule="endpoint-full-access",action="warn",kind="VPCEndpoint",namespace=""`)).toBe(3);
    await remove(late);
  });

  it("with two replicas exactly one leads; when it stops the other takes over and keeps the reports", async () => {
    b = await startReplica("replica-b");
    await b.cluster.synced;
    await sleep(LEASE.leaseDurationMs);
    expect([a.reconciler.isLeader, b.reconciler.isLeader]).toEqual([true, false]);
    expect(await scrape(b.metricsServer.port)).toMatch(/^s3_vpce_guard_leader 0$/m);
    const lease = JSON.parse(await request("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/s3-vpce-guard")) as {
      spec: { holderIdentity: string };
    };
    expect(lease.spec.holderIdentity).toBe("replica-a");

    const reportBefore = entries(await report(null));
    const stoppedAt = Date.now();
    await a.stop();
    await until("replica-b to lead", () => b!.reconciler.isLeader, LEASE.leaseDurationMs + 2_000);
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE.leaseDurationMs + 2_000);

    // The new leader audits, finds the reports right, and keeps handling changes.
    await create(ackBucket({ name: "ack-again", namespace: team, region: "us-east-1", policy: privateSourceIp }));
    await until("the new leader to report a new violation", async () => rulesFor(await report(team), "ack-again").length === 1, 10_000);
    expect(entries(await report(null))).toEqual(reportBefore);
    const text = await scrape(b.metricsServer.port);
    expect(text).toMatch(/^s3_vpce_guard_leader 1$/m);
    expect(gaugeValue(text, `rule="source-ip-condition",action="deny",kind="Bucket",namespace="${team}"`)).toBe(1);
  });

  it("a leader that crashes (no release) is replaced within the lease duration", async () => {
    const c = await startReplica("replica-c");
    try {
      await c.cluster.synced;
      expect(b!.reconciler.isLeader).toBe(true);
      // As a crash: stop renewing without giving the lease up.
      const crashedAt = Date.now();
      await b!.reconciler.stop({ releaseLease: false });
      await until("replica-c to lead", () => c.reconciler.isLeader, LEASE.leaseDurationMs * 2 + 2_000);
      const took = Date.now() - crashedAt;
      expect(took).toBeGreaterThanOrEqual(LEASE.leaseDurationMs - 1_000);
      // Lease duration after the last renewal, plus at most a retry period (with jitter) to notice, plus slack for a loaded machine.
      expect(took).toBeLessThan(LEASE.leaseDurationMs + LEASE.retryPeriodMs * 3 + 2_000);
    } finally {
      await c.stop();
    }
  });

  it("a report deleted by hand is back after the next full audit", async () => {
    // The earlier leaders are gone (stopped, crashed): a fresh replica takes over.
    const leader = await startReplica("replica-d");
    d = leader;
    await until("replica-d to lead", () => leader.reconciler.isLeader, LEASE.leaseDurationMs * 2 + 2_000);
    await until("replica-d's first audit", () => leader.reconciler.lastFullAudit !== undefined);
    const endpoints = "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/s3-vpce-guard-vpcendpoint.ec2.aws.upbound.io";
    const uidOf = async () => (JSON.parse(await request("GET", endpoints)) as { metadata: { uid: string } }).metadata.uid;
    const original = await uidOf();
    const before = entries(await report(null));
    // request() throws unless the DELETE succeeded. The leader may write the report back at
    // any moment after it (a change, a full audit), so "gone" is proven by a new uid instead.
    await request("DELETE", endpoints);
    await leader.reconciler.auditNow();
    await until(
      "the report to be back",
      async () =>
        (await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: endpoints })).statusCode === 200 &&
        (await uidOf()) !== original,
      10_000,
    );
    expect(original).toBeDefined();
    expect(entries(await report(null))).toEqual(before);
  });

  it("without the PolicyReport CRDs it says so once and keeps Events and metrics going", async () => {
    const leader = d!;
    expect(leader.reconciler.isLeader).toBe(true);
    for (const crd of ["policyreports.wgpolicyk8s.io", "clusterpolicyreports.wgpolicyk8s.io"]) {
      await request("DELETE", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`);
    }
    await until(
      "the CRDs to be gone",
      async () =>
        (await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: "/apis/wgpolicyk8s.io/v1alpha2/policyreports" }))
          .statusCode === 404,
    );
    for (let n = 0; n < 3; n++)
      await create(ackBucket({ name: `no-crd-${n}`, namespace: team, region: "us-east-1", policy: privateSourceIp }));
    await until("Events for the new violations", async () => (await eventsFor("no-crd-2", team)).length === 1, 10_000);
    await until(
      "the gauge to count them",
      async () =>
        gaugeValue(
          await scrape(leader.metricsServer.port),
          `rule="source-ip-condition",action="deny",kind="Bucket",namespace="${team}"`,
        ) === 4,
    );
    await leader.reconciler.auditNow();
    await sleep(500);
    const missing = logLines.filter((l) => l.includes("PolicyReport CRDs") && l.includes("not installed"));
    expect(missing).toHaveLength(1);
  });
});
