import { afterEach, describe, expect, it } from "vitest";
import { inventoryAdapter } from "../../src/core/adapters/inventory-adapter.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { ClusterInventory, type InventoryChange } from "../../src/platform/kube/cluster-inventory.js";
import type { ServedApis } from "../../src/platform/kube/discovery.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { config } from "../helpers/check.js";
import { ackEndpoint, communityEndpoint, namespace } from "../helpers/manifests.js";
import { startFakeApi, until, type FakeApi } from "./fake-api.js";

const NAMESPACES = "/api/v1/namespaces";
const COMMUNITY_ENDPOINTS = "/apis/ec2.aws.crossplane.io/v1alpha1/vpcendpoints";
const ACK_ENDPOINTS = "/apis/ec2.services.k8s.aws/v1alpha1/vpcendpoints";

function served(...groups: [group: string, version: string, kinds: string[]][]): ServedApis {
  return new Map(
    groups.map(([group, version, kinds]) => [group, { preferredVersion: version, kinds: new Map([[version, new Set(kinds)]]) }]),
  );
}
const COMMUNITY = ["ec2.aws.crossplane.io", "v1alpha1", ["VPCEndpoint"]] as [string, string, string[]];
const ACK = ["ec2.services.k8s.aws", "v1alpha1", ["VPCEndpoint"]] as [string, string, string[]];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(initial: ServedApis) {
  const api: FakeApi = await startFakeApi();
  cleanups.push(() => api.close());
  // Served, empty unless a test adds objects.
  for (const path of [NAMESPACES, COMMUNITY_ENDPOINTS, ACK_ENDPOINTS]) api.collection(path);
  let servedNow = initial;
  const metrics = createMetrics({ processMetrics: false });
  const inventory = new Inventory();
  const cluster = new ClusterInventory({
    kubeConfig: api.kubeConfig,
    inventory,
    adapt: inventoryAdapter(inventory, config()),
    logger: createLogger({ level: "silent" }),
    metrics,
    discover: async () => servedNow,
    discoveryIntervalMs: 60_000,
    informer: { backoff: { initialMs: 10, maxMs: 50 } },
  });
  const changes: InventoryChange[] = [];
  cluster.onChange((c) => changes.push(c));
  cleanups.push(() => cluster.stop());
  return { api, cluster, changes, metrics, setServed: (s: ServedApis) => (servedNow = s) };
}

describe("ClusterInventory", () => {
  it("lists namespaces and every served kind, then marks the inventory complete", async () => {
    const { api, cluster, changes } = await setup(served(COMMUNITY));
    api.collection(NAMESPACES).items = [namespace("team-a")];
    api.collection(COMMUNITY_ENDPOINTS).items = [communityEndpoint({ name: "gw", awsId: "vpce-0123456789abcdef0" })];
    expect(cluster.inventory.complete).toBe(false);
    cluster.start();
    await cluster.synced;
    expect(cluster.inventory.complete).toBe(true);
    expect(cluster.watchedKinds()).toEqual(["VPCEndpoint.ec2.aws.crossplane.io@v1alpha1"]);
    expect(cluster.inventory.knowsEndpointId("vpce-0123456789abcdef0")).toBe(true);
    expect(cluster.inventory.namespace("team-a")).toBeDefined();
    expect(changes.map((c) => `${c.type} ${c.object.ref.kind} ${c.object.ref.name}`).sort()).toEqual([
      "upsert Namespace team-a",
      "upsert VPCEndpoint gw",
    ]);
  });

  it("applies watch events: added, modified (with the previous version), deleted", async () => {
    const { api, cluster, changes } = await setup(served(COMMUNITY));
    cluster.start();
    await cluster.synced;
    await until("a watch", () => api.collection(COMMUNITY_ENDPOINTS).watchers.length === 1);
    api.emit(COMMUNITY_ENDPOINTS, "ADDED", communityEndpoint({ name: "gw", awsId: "vpce-0123456789abcdef0" }));
    await until("the add", () => cluster.inventory.knowsEndpointId("vpce-0123456789abcdef0"));
    api.emit(COMMUNITY_ENDPOINTS, "MODIFIED", communityEndpoint({ name: "gw", awsId: "vpce-0fedcba9876543210" }));
    await until("the update", () => cluster.inventory.knowsEndpointId("vpce-0fedcba9876543210"));
    expect(cluster.inventory.knowsEndpointId("vpce-0123456789abcdef0")).toBe(false);
    const update = changes.at(-1);
    expect(update?.type === "upsert" && update.previous?.type === "Endpoint" && update.previous.awsId).toBe("vpce-0123456789abcdef0");
    api.emit(COMMUNITY_ENDPOINTS, "DELETED", communityEndpoint({ name: "gw", awsId: "vpce-0fedcba9876543210" }));
    await until("the delete", () => cluster.inventory.size === 0);
    expect(changes.at(-1)?.type).toBe("remove");
  });

  it("a relist removes objects that disappeared meanwhile", async () => {
    const { api, cluster } = await setup(served(COMMUNITY));
    const endpoints = api.collection(COMMUNITY_ENDPOINTS);
    endpoints.items = [
      communityEndpoint({ name: "a", awsId: "vpce-0000000000000000a" }),
      communityEndpoint({ name: "b", awsId: "vpce-0000000000000000b" }),
    ];
    cluster.start();
    await cluster.synced;
    expect(cluster.inventory.size).toBe(2);
    endpoints.items = [communityEndpoint({ name: "b", awsId: "vpce-0000000000000000b" })];
    await until("a watch", () => endpoints.watchers.length === 1);
    api.emit(COMMUNITY_ENDPOINTS, "ERROR", { kind: "Status", code: 410, reason: "Expired" });
    await until("the relist", () => cluster.inventory.size === 1);
    expect(cluster.inventory.knowsEndpointId("vpce-0000000000000000a")).toBe(false);
  });

  it("picks up a kind served later, and drops one only after two discoveries without it", async () => {
    const { api, cluster, setServed } = await setup(served());
    api.collection(ACK_ENDPOINTS).items = [ackEndpoint({ name: "ack-gw", awsId: "vpce-0123456789abcdef0" })];
    cluster.start();
    await cluster.synced;
    expect(cluster.watchedKinds()).toEqual([]);
    setServed(served(ACK));
    await cluster.rediscover();
    await until("the new kind's objects", () => cluster.inventory.knowsEndpointId("vpce-0123456789abcdef0"));
    setServed(served());
    await cluster.rediscover();
    expect(cluster.watchedKinds()).toEqual(["VPCEndpoint.ec2.services.k8s.aws@v1alpha1"]);
    expect(cluster.inventory.size).toBe(1);
    await cluster.rediscover();
    expect(cluster.watchedKinds()).toEqual([]);
    expect(cluster.inventory.size).toBe(0);
  });

  it("relists ACK objects when their namespace's default region changes", async () => {
    const { api, cluster } = await setup(served(ACK));
    api.collection(NAMESPACES).items = [namespace("team-a", "eu-west-1")];
    const endpoint = ackEndpoint({ name: "ack-gw", namespace: "team-a", awsId: "vpce-0123456789abcdef0" });
    delete endpoint.metadata.annotations!["services.k8s.aws/region"];
    api.collection(ACK_ENDPOINTS).items = [endpoint];
    cluster.start();
    await cluster.synced;
    expect(cluster.inventory.regionOfEndpointId("vpce-0123456789abcdef0")).toBe("eu-west-1");
    await until("a namespace watch", () => api.collection(NAMESPACES).watchers.length === 1);
    api.emit(NAMESPACES, "MODIFIED", namespace("team-a", "ap-south-1"));
    await until("the ACK object re-adapted", () => cluster.inventory.regionOfEndpointId("vpce-0123456789abcdef0") === "ap-south-1");
  });

  it("counts watch restarts by kind and reason", async () => {
    const { api, cluster, metrics } = await setup(served(COMMUNITY));
    cluster.start();
    await cluster.synced;
    await until("a watch", () => api.collection(COMMUNITY_ENDPOINTS).watchers.length === 1);
    api.emit(COMMUNITY_ENDPOINTS, "ERROR", { kind: "Status", code: 410 });
    await until("the relist", () => api.collection(COMMUNITY_ENDPOINTS).lists.length === 2);
    expect(await metrics.registry.metrics()).toContain(
      's3_vpce_guard_watch_restarts_total{kind="VPCEndpoint.ec2.aws.crossplane.io",reason="expired"} 1',
    );
  });
});
