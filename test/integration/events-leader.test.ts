// Events behind a real kube-apiserver: one per object summarising its findings (deny and warn
// only by default), a change is one more, and a leader change brings no second burst: the
// new leader reads what the old one announced and stays quiet (Events counted).
import { CoreV1Api, type CoreV1Event } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { configSchema } from "../../src/cli/config/schema.js";
import { ClusterInventory } from "../../src/platform/kube/cluster-inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { type Reconciler } from "../../src/app/audit/reconciler.js";
import { describeIntegration, rawKubeRequest, startControlPlane, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { reconcilerReplica } from "../harness/reconciler-replica.js";
import { sleep, until } from "../harness/wait.js";
import { ackBucket, PRIVATE_SOURCE_IP_POLICY, upjetEndpoint } from "../helpers/manifests.js";

const TEAM = "s3vg-events";
const LEASE = { name: "s3-vpce-guard-events", namespace: "default", leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
const BUCKETS = 30;
const ENDPOINTS = 30;

interface Replica {
  reconciler: Reconciler;
  cluster: ClusterInventory;
  stop(): Promise<void>;
}

describeIntegration("Events that do not flood, against a real API server", () => {
  let controlPlane: ControlPlane;
  let a: Replica;
  let b: Replica | undefined;
  const logger = createLogger({ level: "warn", destination: { write: () => undefined } });
  // gateway-without-route-tables at audit level: deny mode leaves it out of the Events.
  const config = configSchema.parse({ rules: { "gateway-without-route-tables": { action: "audit" } } });

  async function startReplica(identity: string): Promise<Replica> {
    const { cluster, reconciler } = reconcilerReplica({
      kubeConfig: controlPlane.kubeConfig,
      config,
      logger,
      identity,
      lease: LEASE,
      cluster: { discoveryIntervalMs: 1_000 },
      reconciler: { debounceMs: 100, auditIntervalMs: 600_000 },
    });
    reconciler.start();
    await cluster.synced;
    return {
      reconciler,
      cluster,
      async stop() {
        await reconciler.stop();
        await cluster.stop();
      },
    };
  }

  const create = async (o: KubeObject) => {
    const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "POST", path: objectPath(o), body: o });
    if (response.statusCode >= 300) throw new Error(`POST ${objectPath(o)}: HTTP ${response.statusCode} ${response.body}`);
  };
  const replace = async (o: KubeObject) => {
    const current = JSON.parse(
      (await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: objectPath(o, o.metadata.name) })).body,
    ) as KubeObject;
    const response = await rawKubeRequest(controlPlane.kubeConfig, {
      method: "PUT",
      path: objectPath(o, o.metadata.name),
      body: { ...o, metadata: { ...o.metadata, resourceVersion: current.metadata.resourceVersion } },
    });
    if (response.statusCode >= 300) throw new Error(`PUT: HTTP ${response.statusCode} ${response.body}`);
  };

  async function ourEvents(): Promise<CoreV1Event[]> {
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    return (await core.listEventForAllNamespaces({ labelSelector: "app.kubernetes.io/managed-by=s3-vpce-guard" })).items;
  }
  const perObject = (events: CoreV1Event[]) => {
    const counts = new Map<string, number>();
    for (const e of events)
      counts.set(
        `${e.involvedObject.namespace ?? ""}/${e.involvedObject.name}`,
        (counts.get(`${e.involvedObject.namespace ?? ""}/${e.involvedObject.name}`) ?? 0) + 1,
      );
    return counts;
  };

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    await installCrds(controlPlane.kubeConfig);
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: TEAM } } });
    a = await startReplica("events-a");
    await until("events-a to lead", () => a.reconciler.isLeader, 20_000);
  }, 300_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await controlPlane?.stop();
  });

  it("one Event per object, summarising its deny and warn findings (audit-level ones left out)", async () => {
    for (let i = 0; i < BUCKETS; i++)
      await create(ackBucket({ name: `bucket-${i}`, namespace: TEAM, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY }));
    for (let i = 0; i < ENDPOINTS; i++) await create(upjetEndpoint({ name: `endpoint-${i}` }));
    await until("an Event for every offending object", async () => (await ourEvents()).length >= BUCKETS + ENDPOINTS, 60_000);
    await sleep(1_000);
    const events = await ourEvents();
    expect(events).toHaveLength(BUCKETS + ENDPOINTS);
    expect([...perObject(events).values()].every((n) => n === 1)).toBe(true);
    const bucket = events.find((e) => e.involvedObject.name === "bucket-0")!;
    expect(bucket).toMatchObject({
      type: "Warning",
      reason: "PolicyViolation",
      count: 1,
      reportingInstance: "events-a",
      metadata: { namespace: TEAM },
    });
    expect(bucket.message).toMatch(/^1 finding \(1 deny\): source-ip-condition: /);
    const endpoint = events.find((e) => e.involvedObject.name === "endpoint-0")!;
    expect(endpoint.metadata.namespace).toBe("default");
    expect(endpoint.message).toMatch(/^1 finding \(1 warn\): endpoint-full-access: /);
    expect(endpoint.message).not.toContain("gateway-without-route-tables");
    // A full audit changes nothing: no Event is announced twice.
    await a.reconciler.auditNow();
    await sleep(1_500);
    expect(await ourEvents()).toHaveLength(BUCKETS + ENDPOINTS);
  });

  it("a leader change brings no second burst: the new leader reads the earlier Events and sends none of them again", async () => {
    const before = (await ourEvents()).map((e) => `${e.metadata.namespace}/${e.metadata.name} ${e.count}`).sort();
    await a.stop();
    b = await startReplica("events-b");
    await until("events-b to lead", () => b!.reconciler.isLeader, LEASE.leaseDurationMs * 2 + 2_000);
    await until("events-b's first full audit", () => b!.reconciler.lastFullAudit !== undefined, 30_000);
    // Long enough for a burst (100 at once) to have hit the API server.
    await sleep(3_000);
    const after = await ourEvents();
    expect(after.map((e) => `${e.metadata.namespace}/${e.metadata.name} ${e.count}`).sort()).toEqual(before);
    expect(after.filter((e) => e.reportingInstance === "events-b")).toEqual([]);
  });

  it("under the new leader, a change of an object's findings is exactly one new Event; a fix is none", async () => {
    const leader = b!;
    // bucket-1 loses its deny finding (no policy at all is clean for this rule): nothing to announce.
    await replace(ackBucket({ name: "bucket-1", namespace: TEAM, region: "us-east-1" }));
    // A new offending object: one Event from the new leader.
    await create(upjetEndpoint({ name: "endpoint-new" }));
    await until("the new object's Event", async () => (await ourEvents()).some((e) => e.involvedObject.name === "endpoint-new"), 20_000);
    await leader.reconciler.auditNow();
    await sleep(1_500);
    const events = await ourEvents();
    expect(events).toHaveLength(BUCKETS + ENDPOINTS + 1);
    expect(events.filter((e) => e.reportingInstance === "events-b").map((e) => e.involvedObject.name)).toEqual(["endpoint-new"]);
  });
});
