// Proves the integration harness against a real kube-apiserver + etcd: CRDs of
// every kind and version, list/watch/informer, 410 Gone after compaction, API
// server restarts during a watch, and a URL-registered validating webhook.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  Watch,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeIntegration, rawKubeRequest, startControlPlane, type ControlPlane } from "../harness/control-plane.js";
import { collectionPath, installCrds, minimalObject, servedKinds, upstreamCrdsAvailable, type ServedKind } from "../harness/crds.js";
import {
  registerValidatingWebhook,
  ruleFor,
  unregisterValidatingWebhook,
  waitForWebhook,
  webhookServingCert,
} from "../harness/webhook-registration.js";
import { sleep, until } from "../harness/wait.js";

const namespace = "s3vg-it";

/** README "Resources understood": every group/version/kind the product must handle. */
const specKinds = [
  "ec2.aws.upbound.io/v1beta1/VPCEndpoint",
  "ec2.aws.upbound.io/v1beta2/VPCEndpoint",
  "ec2.aws.upbound.io/v1beta1/VPCEndpointRouteTableAssociation",
  "ec2.aws.upbound.io/v1beta1/VPCEndpointSubnetAssociation",
  "ec2.aws.m.upbound.io/v1beta1/VPCEndpoint",
  "ec2.aws.m.upbound.io/v1beta1/VPCEndpointRouteTableAssociation",
  "ec2.aws.m.upbound.io/v1beta1/VPCEndpointSubnetAssociation",
  "s3.aws.upbound.io/v1beta1/Bucket",
  "s3.aws.upbound.io/v1beta2/Bucket",
  "s3.aws.upbound.io/v1beta1/BucketPolicy",
  "s3.aws.m.upbound.io/v1beta1/Bucket",
  "s3.aws.m.upbound.io/v1beta1/BucketPolicy",
  "ec2.aws.crossplane.io/v1alpha1/VPCEndpoint",
  "s3.aws.crossplane.io/v1beta1/Bucket",
  "s3.aws.crossplane.io/v1alpha3/BucketPolicy",
  "ec2.services.k8s.aws/v1alpha1/VPCEndpoint",
  "s3.services.k8s.aws/v1alpha1/Bucket",
];

const upjetBucket: ServedKind = { group: "s3.aws.upbound.io", version: "v1beta2", kind: "Bucket", plural: "buckets", namespaced: false };

type Item = KubernetesObject & { metadata: { name: string; resourceVersion: string } };
type ItemList = KubernetesListObject<Item> & { metadata: { resourceVersion: string } };

interface WatchOutcome {
  events: Array<{ type: string; object: Item & { code?: number } }>;
  doneError?: { statusCode?: number; message?: string } | null;
}

const sawError = (outcome: WatchOutcome): boolean => outcome.events.some((event) => event.type === "ERROR");
const sawAdded =
  (name: string) =>
  (outcome: WatchOutcome): boolean =>
    outcome.events.some((event) => event.type === "ERROR" || (event.type === "ADDED" && event.object.metadata?.name === name));

describeIntegration("test control plane (kube-apiserver + etcd)", () => {
  let controlPlane: ControlPlane;
  let custom: CustomObjectsApi;

  const createObject = async (kind: ServedKind, body: KubernetesObject): Promise<Item> => {
    const target = { group: kind.group, version: kind.version, plural: kind.plural, body };
    return (
      kind.namespaced ? await custom.createNamespacedCustomObject({ ...target, namespace }) : await custom.createClusterCustomObject(target)
    ) as Item;
  };
  const listObjects = async (kind: ServedKind): Promise<ItemList> => {
    const target = { group: kind.group, version: kind.version, plural: kind.plural };
    return (
      kind.namespaced ? await custom.listNamespacedCustomObject({ ...target, namespace }) : await custom.listClusterCustomObject(target)
    ) as ItemList;
  };
  const createBucket = (name: string, labels: Record<string, string> = {}): Promise<Item> => {
    const body = minimalObject(upjetBucket, name, namespace);
    return createObject(upjetBucket, { ...body, metadata: { ...body.metadata, labels } });
  };

  /**
   * Collects a watch's events for `windowMs`, or until it ends. Retries 429:
   * right after an API server (re)start a CRD's watch cache is still
   * initialising and answers "too many requests", as reflectors expect.
   */
  const watchFor = async (
    path: string,
    resourceVersion: string,
    windowMs: number,
    enough: (outcome: WatchOutcome) => boolean = () => false,
  ): Promise<WatchOutcome> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const outcome = await watchOnce(path, resourceVersion, windowMs, enough);
      if (outcome.doneError?.statusCode !== 429 || Date.now() > deadline) return outcome;
      await sleep(250);
    }
  };
  const watchOnce = async (
    path: string,
    resourceVersion: string,
    windowMs: number,
    enough: (outcome: WatchOutcome) => boolean,
  ): Promise<WatchOutcome> => {
    const outcome: WatchOutcome = { events: [] };
    let finished = false;
    const controller = await new Watch(controlPlane.kubeConfig).watch(
      path,
      { resourceVersion, allowWatchBookmarks: false },
      (type, object: Item & { code?: number }) => outcome.events.push({ type, object }),
      (error: WatchOutcome["doneError"]) => {
        outcome.doneError = error;
        finished = true;
      },
    );
    const deadline = Date.now() + windowMs;
    while (!finished && !enough(outcome) && Date.now() < deadline) await sleep(50);
    controller.abort();
    return outcome;
  };

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    console.log(`control plane ready: ${controlPlane.server}, kube-apiserver spawn to /readyz ${controlPlane.lastApiServerStartMs} ms`);
    custom = controlPlane.kubeConfig.makeApiClient(CustomObjectsApi);
    await controlPlane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    await installCrds(controlPlane.kubeConfig);
  });

  afterAll(async () => {
    await controlPlane?.stop();
  });

  const roundTripEveryKind = async (upstream: boolean, suffix: string): Promise<void> => {
    const installed = await installCrds(controlPlane.kubeConfig, { upstream });
    expect(installed.source).toBe(upstream ? "upstream" : "test");
    const kinds = servedKinds(installed.crds);
    expect(kinds.map((k) => `${k.group}/${k.version}/${k.kind}`)).toEqual(expect.arrayContaining(specKinds));
    for (const kind of kinds.filter((k) => k.group !== "wgpolicyk8s.io")) {
      const name = `${kind.kind.toLowerCase()}-${kind.version}-${suffix}`;
      const created = await createObject(kind, minimalObject(kind, name, namespace));
      expect(created.metadata.name, `${kind.group}/${kind.version} ${kind.kind}`).toBe(name);
      const listed = await listObjects(kind);
      expect(
        listed.items.map((item) => item.metadata.name),
        collectionPath(kind, namespace),
      ).toContain(name);
    }
  };

  if (!upstreamCrdsAvailable())
    console.log("upstream CRDs not found (../shared/crds): the providers' CRD round is skipped, the test CRDs still run");
  it.runIf(upstreamCrdsAvailable())("creates and lists an object of every kind and version with the providers' CRDs", async () => {
    await roundTripEveryKind(true, "upstream");
  });

  it("creates and lists an object of every kind and version with the test CRDs", async () => {
    await roundTripEveryKind(false, "test");
  });

  it("rejects an object without the required spec.forProvider.region", async () => {
    const body = minimalObject(upjetBucket, "no-region", namespace);
    await expect(createObject(upjetBucket, { ...body, spec: { forProvider: {} } } as KubernetesObject)).rejects.toMatchObject({
      code: 422,
    });
  });

  it("stores PolicyReports and ClusterPolicyReports with results and summary", async () => {
    const report = {
      apiVersion: "wgpolicyk8s.io/v1alpha2",
      kind: "PolicyReport",
      metadata: { name: "s3vg-report", namespace },
      scope: { apiVersion: "s3.aws.m.upbound.io/v1beta1", kind: "Bucket", namespace, name: "b1" },
      summary: { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 },
      results: [
        {
          policy: "s3-vpce-guard",
          rule: "example-rule",
          result: "fail",
          severity: "high",
          message: "example",
          source: "s3-vpce-guard",
          timestamp: { seconds: 1, nanos: 0 },
        },
      ],
    };
    await custom.createNamespacedCustomObject({
      group: "wgpolicyk8s.io",
      version: "v1alpha2",
      namespace,
      plural: "policyreports",
      body: report,
    });
    const read = (await custom.getNamespacedCustomObject({
      group: "wgpolicyk8s.io",
      version: "v1alpha2",
      namespace,
      plural: "policyreports",
      name: "s3vg-report",
    })) as typeof report;
    expect(read.summary).toEqual(report.summary);
    expect(read.results[0]?.result).toBe("fail");
    const cluster = {
      ...report,
      kind: "ClusterPolicyReport",
      metadata: { name: "s3vg-cluster-report" },
      results: [{ policy: "s3-vpce-guard", result: "maybe" }],
    };
    await expect(
      custom.createClusterCustomObject({ group: "wgpolicyk8s.io", version: "v1alpha2", plural: "clusterpolicyreports", body: cluster }),
    ).rejects.toMatchObject({ code: 422 });
  });

  it("an informer lists and then sees new objects through its watch", async () => {
    const path = collectionPath(upjetBucket);
    const informer = makeInformer<Item>(controlPlane.kubeConfig, path, () => listObjects(upjetBucket));
    const added: string[] = [];
    informer.on("add", (object) => added.push(object.metadata.name));
    await informer.start();
    try {
      expect(added.length).toBeGreaterThan(0); // the objects from the list
      await createBucket("informer-sees-me");
      await until("informer add event", () => added.includes("informer-sees-me"));
      expect(informer.get("informer-sees-me")?.metadata.name).toBe("informer-sees-me");
    } finally {
      await informer.stop();
    }
  });

  it("a watch from a resourceVersion older than an etcd compaction gets 410 Gone, and a relist recovers", async () => {
    const path = collectionPath(upjetBucket);
    const before = await listObjects(upjetBucket);
    const staleVersion = before.metadata.resourceVersion;
    for (const n of [1, 2, 3]) await createBucket(`after-compaction-${n}`);
    await controlPlane.compactEtcd();
    // The watch cache keeps recent history in memory; a restart drops it, so
    // the stale version can only be served by the (compacted) etcd.
    await controlPlane.restartApiServer();
    const stale = await watchFor(path, staleVersion, 5_000, sawError);
    const goneEvent = stale.events.find((event) => event.type === "ERROR");
    const goneCode = goneEvent?.object.code ?? stale.doneError?.statusCode;
    expect(goneCode, JSON.stringify(stale)).toBe(410);

    const relisted = await listObjects(upjetBucket);
    expect(relisted.items.map((item) => item.metadata.name)).toEqual(expect.arrayContaining(["after-compaction-1", "after-compaction-3"]));
    const fresh = watchFor(path, relisted.metadata.resourceVersion, 10_000, sawAdded("after-relist"));
    await sleep(500);
    await createBucket("after-relist");
    const outcome = await fresh;
    expect(outcome.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toContain("ADDED after-relist");
  });

  it("an informer whose watch fails during an API server restart is restarted and catches up", async () => {
    const path = collectionPath(upjetBucket);
    const informer = makeInformer<Item>(controlPlane.kubeConfig, path, () => listObjects(upjetBucket));
    const added = new Set<string>();
    let errors = 0;
    let stopped = false;
    informer.on("add", (object) => added.add(object.metadata.name));
    informer.on("error", () => {
      errors += 1;
      // client-node's informer stops on a non-410 error: restart it, as the reconciler must.
      if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 500);
    });
    await informer.start();
    try {
      await controlPlane.stopApiServer();
      await until("the informer to see the outage", () => errors > 0);
      await controlPlane.startApiServer();
      await createBucket("after-restart");
      await until("informer add after restart", () => added.has("after-restart"), 60_000);
    } finally {
      stopped = true;
      await informer.stop();
    }
  });

  it("a raw watch interrupted by an API server restart resumes from its last resourceVersion, or relists on 410", async () => {
    const path = collectionPath(upjetBucket);
    const start = await listObjects(upjetBucket);
    let lastVersion = start.metadata.resourceVersion;
    const seen: string[] = [];
    let ended = false;
    await new Watch(controlPlane.kubeConfig).watch(
      path,
      { resourceVersion: lastVersion },
      (type, object: Item) => {
        seen.push(`${type} ${object.metadata.name}`);
        lastVersion = object.metadata.resourceVersion;
      },
      () => (ended = true),
    );
    await createBucket("before-watch-restart");
    await until("first event", () => seen.includes("ADDED before-watch-restart"));
    await controlPlane.restartApiServer();
    await until("the watch to end with the old API server", () => ended);

    const resumed = watchFor(path, lastVersion, 8_000, sawAdded("after-watch-restart"));
    await sleep(500);
    await createBucket("after-watch-restart");
    const outcome = await resumed;
    const first = outcome.events[0];
    if (first?.type === "ERROR") {
      // The new API server's watch cache starts at the revision it listed at
      // startup, so an older resourceVersion is "too old" (410): relist, as
      // reflectors and informers do.
      expect(first.object.code, JSON.stringify(first.object)).toBe(410);
      const relisted = await listObjects(upjetBucket);
      expect(relisted.items.map((item) => item.metadata.name)).toEqual(
        expect.arrayContaining(["before-watch-restart", "after-watch-restart"]),
      );
      const next = watchFor(path, relisted.metadata.resourceVersion, 8_000, sawAdded("after-watch-relist"));
      await sleep(500);
      await createBucket("after-watch-relist");
      const events = (await next).events.map((event) => `${event.type} ${event.object.metadata?.name}`);
      expect(events).toEqual(["ADDED after-watch-relist"]);
    } else {
      const events = outcome.events.map((event) => `${event.type} ${event.object.metadata?.name}`);
      expect(events).toEqual(["ADDED after-watch-restart"]);
    }
  });

  it("a URL-registered validating webhook rejects with its message and its warnings reach the client", async () => {
    const cert = await webhookServingCert();
    const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const review = JSON.parse(body) as { request: { uid: string; object: Item & { metadata: { labels?: Record<string, string> } } } };
        const deny = review.request.object.metadata.labels?.["s3vg.test/deny"] === "true";
        const response = deny
          ? {
              uid: review.request.uid,
              allowed: false,
              status: { code: 403, message: `test webhook denies bucket ${review.request.object.metadata.name}` },
            }
          : {
              uid: review.request.uid,
              allowed: true,
              warnings: [`test webhook warns about bucket ${review.request.object.metadata.name}`],
            };
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await registerValidatingWebhook(controlPlane.kubeConfig, {
        name: "s3vg-test-webhook",
        url: `https://127.0.0.1:${port}/validate`,
        caBundlePem: cert.caPem,
        rules: [ruleFor("s3.aws.upbound.io", ["*"], ["buckets"])],
      });
      const denied = (name: string): Promise<unknown> => createBucket(name, { "s3vg.test/deny": "true" });
      await waitForWebhook(async () => {
        try {
          await custom.createClusterCustomObject({
            group: upjetBucket.group,
            version: upjetBucket.version,
            plural: upjetBucket.plural,
            body: { ...minimalObject(upjetBucket, "probe", namespace), metadata: { name: "probe", labels: { "s3vg.test/deny": "true" } } },
            dryRun: "All",
          });
          return false;
        } catch {
          return true;
        }
      });
      await expect(denied("denied-bucket")).rejects.toMatchObject({
        code: 403,
        body: expect.stringContaining("test webhook denies bucket denied-bucket"),
      });

      // client-node does not surface Warning headers: read them from a raw request.
      const created = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "POST",
        path: collectionPath(upjetBucket),
        body: minimalObject(upjetBucket, "warned-bucket", namespace),
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(String(created.headers.warning)).toContain("test webhook warns about bucket warned-bucket");
    } finally {
      await unregisterValidatingWebhook(controlPlane.kubeConfig, "s3vg-test-webhook");
      server.close();
    }
  });
});
