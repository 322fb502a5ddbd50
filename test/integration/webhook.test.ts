// `s3-vpce-guard serve` behind a real kube-apiserver: the webhook is registered by URL +
// caBundle for every kind of README "Resources understood", the inventory is fed by informers, and every answer
// reaches kubectl's side of the API (status messages and Warning headers).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { startService, type RunningService } from "../../src/cli/serve.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { generateCertificates, writeCertificates } from "../../src/platform/http/certificates.js";
import { describeIntegration, startControlPlane, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import {
  registerValidatingWebhook,
  unregisterValidatingWebhook,
  waitForWebhook,
  watchedKindRules,
} from "../harness/webhook-registration.js";
import {
  ackBucket,
  bucketGrant,
  communityEndpoint,
  denyUnlessEndpoint,
  upjetBucketPolicy,
  upjetEndpoint,
  PRIVATE_SOURCE_IP_POLICY,
} from "../helpers/manifests.js";
import { until } from "../harness/wait.js";
import { captureOutput } from "../helpers/failure-log.js";

const team = "s3vg-it";
const sandbox = "sandbox";
const webhookName = "s3-vpce-guard-it";

const privateSourceIp = PRIVATE_SOURCE_IP_POLICY;

interface RawReply {
  statusCode: number;
  warning: string;
  body: string;
}

describeIntegration("s3-vpce-guard serve behind a real API server", () => {
  let controlPlane: ControlPlane;
  let service: RunningService;
  let certDir: string;
  let registration: Parameters<typeof registerValidatingWebhook>[1];
  const serviceLog = captureOutput("serve (in this process) log");

  /** Any request as the admin, returning the Warning header (client-node does not surface it). */
  const raw = (method: string, path: string, body?: object, contentType = "application/json"): Promise<RawReply> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${controlPlane.server}${path}`,
        {
          method,
          ca: controlPlane.caPem,
          cert: controlPlane.adminCertPem,
          key: controlPlane.adminKeyPem,
          headers: { "content-type": contentType },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            const header = res.headers.warning;
            resolve({ statusCode: res.statusCode ?? 0, warning: Array.isArray(header) ? header.join("\n") : (header ?? ""), body: text });
          });
        },
      );
      req.on("error", reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });

  const pathOf = objectPath;
  const create = (o: KubeObject) => raw("POST", pathOf(o), o);

  const metricsText = (): Promise<string> =>
    new Promise((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: service.metricsServer.port, path: "/metrics" }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });

  const readyz = (): Promise<number> =>
    new Promise((resolve, reject) => {
      httpsRequest({ host: "127.0.0.1", port: service.webhook.port, path: "/readyz", rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    for (const name of [team, sandbox]) await core.createNamespace({ body: { metadata: { name } } });

    certDir = mkdtempSync(join(tmpdir(), "s3vg-webhook-it-"));
    const bundle = generateCertificates({ names: ["127.0.0.1", "localhost"], days: 1 });
    const files = await writeCertificates(certDir, bundle);
    const configFile = join(certDir, "config.yaml");
    writeFileSync(configFile, `exemptions:\n  - namespaces: [${sandbox}]\n`);

    // The service starts before any CRD exists: the kinds must be picked up without a restart.
    service = await startService(
      {
        tlsCert: files.cert,
        tlsKey: files.key,
        port: 0,
        metricsPort: 0,
        host: "127.0.0.1",
        configPath: configFile,
        noKube: false,
        readyWithoutSync: false,
      },
      {
        kubeConfig: controlPlane.kubeConfig,
        // Its warnings (watches retrying across the API server restart) show only with a failing test.
        logger: process.env.S3VG_IT_LOG_LEVEL
          ? createLogger({ level: process.env.S3VG_IT_LOG_LEVEL })
          : createLogger({ level: "warn", destination: serviceLog }),
        discoveryIntervalMs: 500,
        informer: { backoff: { initialMs: 100, maxMs: 2_000 }, watchdogMs: 60_000 },
      },
    );
    await service.cluster!.synced;
    await installCrds(controlPlane.kubeConfig);
    await until(
      "every kind to be watched",
      () => service.cluster!.watchedKinds().length === new Set(WATCHED_KINDS.map((k) => `${k.kind}.${k.group}`)).size,
    );

    registration = {
      name: webhookName,
      url: `https://127.0.0.1:${service.webhook.port}/validate`,
      caBundlePem: bundle.caPem,
      rules: watchedKindRules(),
      timeoutSeconds: 5,
    };
    await registerValidatingWebhook(controlPlane.kubeConfig, registration);
    await waitForWebhookToDeny();
  }, 300_000);

  const waitForWebhookToDeny = () => {
    const probe = upjetBucketPolicy({ name: "probe", policy: privateSourceIp });
    return waitForWebhook(async () => (await raw("POST", `${pathOf(probe)}?dryRun=All`, probe)).statusCode === 403);
  };

  afterAll(async () => {
    if (controlPlane) await unregisterValidatingWebhook(controlPlane.kubeConfig, webhookName).catch(() => undefined);
    await service?.stop();
    await controlPlane?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it("is ready after the first sync, and watches kinds whose CRDs came later", async () => {
    expect(await readyz()).toBe(200);
    expect(service.cluster!.watchedKinds()).toEqual(
      expect.arrayContaining([
        "VPCEndpoint.ec2.aws.upbound.io@v1beta2",
        "BucketPolicy.s3.aws.m.upbound.io@v1beta1",
        "Bucket.s3.services.k8s.aws@v1alpha1",
      ]),
    );
  });

  it("rejects a violating Upjet BucketPolicy with our message", async () => {
    const reply = await create(upjetBucketPolicy({ name: "private-ip-policy", policy: privateSourceIp }));
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain(`admission webhook \\"${webhookName}.s3vg.test\\" denied the request`);
    expect(reply.body).toContain("s3-vpce-guard denied BucketPolicy private-ip-policy");
    expect(reply.body).toContain("[source-ip-condition]");
  });

  it("admits a warn-only violation and the client sees the warning", async () => {
    const reply = await create(upjetEndpoint({ name: "open-endpoint" }));
    expect(reply.statusCode).toBe(201);
    expect(reply.warning).toContain("[endpoint-full-access]");
    expect(reply.warning).toContain("[endpoint-change-disruption]");
  });

  it("honours an exempt namespace, for a namespaced .m object", async () => {
    const exempt = await create(
      upjetBucketPolicy({ name: "exempt-policy", policy: privateSourceIp, namespaced: true, namespace: sandbox }),
    );
    expect(exempt.statusCode).toBe(201);
    const checked = await create(upjetBucketPolicy({ name: "checked-policy", policy: privateSourceIp, namespaced: true, namespace: team }));
    expect(checked.statusCode).toBe(403);
    expect(checked.body).toContain(`s3-vpce-guard denied BucketPolicy ${team}/checked-policy`);
  });

  it("sends an ACK Bucket through the same path", async () => {
    const reply = await create(ackBucket({ name: "ack-private-ip", namespace: team, region: "us-east-1", policy: privateSourceIp }));
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain(`s3-vpce-guard denied Bucket ${team}/ack-private-ip`);
  });

  it("does not warn about disruption for an UPDATE that only changes tags, and warns when deleting", async () => {
    const endpoint = upjetEndpoint({ name: "restricted-gateway", policy: bucketGrant("my-secure-bucket") });
    expect((await create(endpoint)).statusCode).toBe(201);
    const tagged = await raw(
      "PATCH",
      pathOf(endpoint, "restricted-gateway"),
      { spec: { forProvider: { tags: { team: "a" } } } },
      "application/merge-patch+json",
    );
    expect(tagged.statusCode).toBe(200);
    expect(tagged.warning).not.toContain("endpoint-change-disruption");
    const moved = await raw(
      "PATCH",
      pathOf(endpoint, "restricted-gateway"),
      { spec: { forProvider: { vpcId: "vpc-0fffffffffffffff0" } } },
      "application/merge-patch+json",
    );
    expect(moved.warning).toContain("[endpoint-change-disruption]");
    const deleted = await raw("DELETE", pathOf(endpoint, "restricted-gateway"));
    expect(deleted.statusCode).toBe(200);
    expect(deleted.warning).toMatch(/\[endpoint-change-disruption\] spec: deleting this S3 Gateway endpoint/);
  });

  it("lets a controller update and finish deleting an object that violated before the webhook existed", async () => {
    // Created while no webhook was registered, with a provider's finalizer, as in a cluster
    // where s3-vpce-guard is installed after the fact.
    const policy = upjetBucketPolicy({ name: "predates-webhook", policy: privateSourceIp });
    policy.metadata.finalizers = ["finalizer.managedresource.crossplane.io"];
    const path = pathOf(policy, "predates-webhook");
    await unregisterValidatingWebhook(controlPlane.kubeConfig, webhookName);
    await until("the API server to stop calling the webhook", async () => (await create(policy)).statusCode === 201);
    await registerValidatingWebhook(controlPlane.kubeConfig, registration);
    await waitForWebhookToDeny();

    const merge = (body: object) => raw("PATCH", path, body, "application/merge-patch+json");
    const annotated = await merge({ metadata: { annotations: { "crossplane.io/external-name": "my-secure-bucket" } } });
    expect(annotated.statusCode).toBe(200);
    expect(annotated.warning).toContain("[source-ip-condition] not blocked, violated before this update");
    // A violation the update adds is still denied.
    const worse = JSON.stringify({
      ...privateSourceIp,
      Statement: [
        ...privateSourceIp.Statement,
        { ...privateSourceIp.Statement[0], Condition: { IpAddress: { "aws:SourceIp": "192.168.0.0/16" } } },
      ],
    });
    const added = await merge({ spec: { forProvider: { policy: worse } } });
    expect(added.statusCode).toBe(403);
    expect(added.body).toContain("Statement[1]");

    expect((await raw("DELETE", path)).statusCode).toBe(200);
    const released = await merge({ metadata: { finalizers: null } });
    expect(released.statusCode).toBe(200);
    expect((await raw("GET", path)).statusCode).toBe(404);
  });

  it("rejects a bucket policy that requires an endpoint known only in another region, once the inventory has it", async () => {
    const vpce = "vpce-0123456789abcdef0";
    const eu = communityEndpoint({ name: "eu-gateway", region: "eu-west-1", awsId: vpce, policy: bucketGrant("my-secure-bucket") });
    expect((await create(eu)).statusCode).toBe(201);
    await until("the informer to add the eu-west-1 endpoint", () => service.inventory.regionOfEndpointId(vpce) === "eu-west-1");
    const policy = upjetBucketPolicy({
      name: "needs-eu-endpoint",
      bucket: "my-secure-bucket",
      region: "us-east-1",
      policy: denyUnlessEndpoint("my-secure-bucket", vpce),
    });
    const reply = await create(policy);
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain("[cross-region]");
    expect(reply.body).toContain(vpce);
  });

  it("keeps the inventory through etcd compaction and an API server restart (relist or resume)", async () => {
    const before = await metricsText();
    await controlPlane.compactEtcd();
    await controlPlane.restartApiServer();
    const endpoint = communityEndpoint({
      name: "after-restart",
      region: "us-west-2",
      awsId: "vpce-0aaaaaaaaaaaaaaa1",
      policy: bucketGrant("b"),
    });
    await until(
      "the API server to accept writes again",
      async () => (await create(endpoint).catch(() => ({ statusCode: 0 }))).statusCode === 201,
    );
    await until("the informer to see an object created after the restart", () =>
      service.inventory.knowsEndpointId("vpce-0aaaaaaaaaaaaaaa1"),
    );
    expect(service.inventory.knowsEndpointId("vpce-0123456789abcdef0")).toBe(true);
    const after = await metricsText();
    const restarts = (text: string) =>
      [...text.matchAll(/^s3_vpce_guard_watch_restarts_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(restarts(after)).toBeGreaterThan(restarts(before));
    expect(after).toMatch(/^s3_vpce_guard_inventory_resources\{kind="Endpoint"\} [1-9]/m);
    expect(after).toMatch(/^s3_vpce_guard_admission_requests_total\{kind="BucketPolicy",operation="CREATE",decision="denied"\} [1-9]/m);
  });
});
