// Fault injection against a real kube-apiserver + etcd, with the real reconciler (its own
// ClusterInventory, Reconciler and Lease, as `s3-vpce-guard reconcile` runs it) and the real
// webhook (`serve --no-reconciler` in-process, registered by URL). Both reach the API server
// through a TCP pass-through that a scenario can cut, while the test writes directly.
//
//   api-server-stopped-30s  kube-apiserver down for 30 s; the webhook keeps answering from
//                           its cache; then one create, one delete, one fix.
//   etcd-compaction-410     the guard cut off; in that window a create, a delete and an edit;
//                           etcd compacted past them and the API server restarted, so every
//                           watch resumes from a gone resourceVersion (410) and must relist.
//
// Each scenario asserts behaviour — the PolicyReports end up exactly right (nothing lost,
// nothing duplicated, nothing left of deleted objects), the webhook answers correctly during
// the fault and learns what was written in it — and records what it measured on the way
// (recordFaultMeasurement → S3VG_FAULT_RESULTS, turned into a table by bench/faults.sh).
// Timings are those of the shipped defaults (informer backoff 0.5–30 s, lease 15 s / renew
// deadline 10 s / retry 2 s, 200 ms batching, 30 s discovery): what a deployment would see.
// Only generous bounds are asserted; the goals are in the notes.
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpsRequest } from "node:https";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { startService, type RunningService } from "../../src/cli/serve.js";
import { defaultConfig } from "../../src/cli/config/schema.js";
import { ClusterInventory } from "../../src/platform/kube/cluster-inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import type { Metrics } from "../../src/platform/telemetry/metrics.js";
import type { PolicyReportObject } from "../../src/app/audit/policy-reports.js";
import { type Reconciler } from "../../src/app/audit/reconciler.js";
import { reconcilerReplica } from "../harness/reconciler-replica.js";
import { generateCertificates, writeCertificates } from "../../src/platform/http/certificates.js";
import { describeIntegration, rawKubeRequest, startControlPlane, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { percentile, recordFaultMeasurement } from "../harness/fault-results.js";
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
  upjetRouteTableAssociation,
  PRIVATE_SOURCE_IP_POLICY,
} from "../helpers/manifests.js";
import { sleep, until } from "../harness/wait.js";

const team = "s3vg-faults";
const webhookName = "s3-vpce-guard-faults";
/** Only objects with this label go through admission: the fixtures that must violate deny rules stay creatable. */
const CHECKED = { "s3vg.test/admission": "checked" };
const BUCKET = "fault-bucket";
/** The eu-west-1 endpoint every cross-region probe refers to (exists from the start). */
const EU_VPCE = "vpce-000000000000000e1";
const VPCE_B = "vpce-000000000000000b1";
const VPCE_NEW = "vpce-000000000000000c1";
const VPCE_LOCKED = "vpce-000000000000000d1";
const VPCE_X = "vpce-000000000000000f1";

const API_DOWN_MS = 30_000;
const CONVERGE_BOUND_MS = 60_000;
const CONVERGE_GOAL_MS = 30_000;
/** Direct AdmissionReviews are paced like a busy but not saturated API server would send them. */
const ADMISSION_GAP_MS = 20;
const BASELINE_REQUESTS = 200;

// ---------------------------------------------------------------------------
// Direct AdmissionReviews to the webhook's HTTPS port (no API server in the path).

interface AdmissionSample {
  ms: number;
  status: number;
  allowed?: boolean;
  message: string;
}

interface Probe {
  body: string;
  /** What a correct answer looks like (the inventory decides it). */
  expectAllowed: boolean;
  expectInMessage?: string;
}

function reviewBody(object: KubeObject, uid: string): string {
  const [group, version] = object.apiVersion.split("/");
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: `${object.kind.toLowerCase()}s` },
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      operation: "CREATE",
      userInfo: { username: "admin", groups: ["system:masters"] },
      object,
      oldObject: null,
      dryRun: true,
    },
  });
}

interface AdmissionSummary {
  latencies: number[];
  errors: number;
  wrong: number;
  firstProblem?: string;
}

function summarise(samples: AdmissionSample[], probes: Probe[]): AdmissionSummary {
  const summary: AdmissionSummary = { latencies: [], errors: 0, wrong: 0 };
  samples.forEach((s, i) => {
    summary.latencies.push(s.ms);
    const probe = probes[i % probes.length]!;
    if (s.status !== 200) {
      summary.errors++;
      summary.firstProblem ??= `HTTP ${s.status}: ${s.message}`;
    } else if (s.allowed !== probe.expectAllowed || (probe.expectInMessage && !s.message.includes(probe.expectInMessage))) {
      summary.wrong++;
      summary.firstProblem ??= `allowed=${s.allowed}, expected ${probe.expectAllowed}: ${s.message}`;
    }
  });
  return summary;
}

// ---------------------------------------------------------------------------
// A TCP pass-through between the guard (webhook + reconciler) and the API server, so that a
// test can cut the guard off while it keeps writing through its own, direct connection.
// TLS goes end to end: the API server's certificate is for 127.0.0.1, whatever the port.

interface Partition {
  port: number;
  /** Resets every open connection and every new one until heal(). */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

async function startPartitionProxy(target: URL): Promise<Partition> {
  const sockets = new Set<Socket>();
  let open = true;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (!open) return client.resetAndDestroy();
    const upstream = connect(Number(target.port), target.hostname);
    track(upstream);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("proxy: no port");
  return {
    port: address.port,
    cut() {
      open = false;
      for (const socket of sockets) socket.resetAndDestroy();
    },
    heal() {
      open = true;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The same credentials, through the proxy. */
function kubeConfigVia(base: KubeConfig, port: number): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: base.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
    users: base.users,
    contexts: base.contexts,
    currentContext: base.currentContext,
  });
  return kubeConfig;
}

// ---------------------------------------------------------------------------
// What the PolicyReports must say: one entry per object that exists, with its expected results.

interface Fixture {
  object: KubeObject;
  /** "rule result" of every expected report result, e.g. "endpoint-full-access warn". */
  results: string[];
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ""}/${o.kind}/${o.metadata.name}`;

interface ReportDiff {
  /** Expected "ns/Kind/name rule result" entries not in the reports. */
  lost: string[];
  /** Entries in the reports that no existing object should have. */
  unexpected: string[];
  /** Results present more than once (same resource, rule, result, path and message). */
  duplicated: string[];
  /** Results whose object was deleted. */
  forDeleted: string[];
  actual: string[];
}

function multisetMinus(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

describeIntegration("fault injection: API server outage and etcd compaction, with the reconciler and the webhook", () => {
  let controlPlane: ControlPlane;
  let service: RunningService;
  let certDir: string;
  let caPem: string;
  let agent: Agent;
  let partition: Partition;
  let replica: { cluster: ClusterInventory; reconciler: Reconciler; metrics: Metrics; stop(): Promise<void> };
  /** Log lines of the webhook (warn and up) and of the reconciler (info and up: relists, lease). */
  const webhookLog: string[] = [];
  const reconcilerLog: string[] = [];
  const capture = (level: string, lines: string[]) =>
    createLogger({
      level: process.env.S3VG_IT_LOG_LEVEL ?? level,
      destination: {
        write(line: string) {
          lines.push(line);
          if (lines.length > 20_000) lines.splice(0, 10_000);
          if (process.env.S3VG_IT_LOG_LEVEL) process.stdout.write(line);
        },
      },
    });

  /** Per watched resource, when the reconciler's informer first relisted after 410 Gone at or after `since`. */
  function relistsSince(since: number): Map<string, number> {
    const first = new Map<string, number>();
    for (const line of reconcilerLog) {
      if (!line.includes("relisting")) continue;
      const entry = JSON.parse(line) as { time?: string; resource?: string };
      const at = Date.parse(entry.time ?? "");
      if (entry.resource && at >= since && !first.has(entry.resource)) first.set(entry.resource, at);
    }
    return first;
  }

  /** Objects that exist now, with what their report entries must be. */
  const world = new Map<string, Fixture>();
  /** ns/Kind/name of objects deleted by a scenario. */
  const deleted = new Set<string>();

  // ---- API requests -------------------------------------------------------

  async function request(method: string, path: string, body?: unknown): Promise<{ statusCode: number; body: string }> {
    return rawKubeRequest(controlPlane.kubeConfig, { method, path, body });
  }
  /** Creates (201, or 409 when a retried create had gone through), and records the expectation. */
  async function create(fixture: Fixture): Promise<void> {
    const o = fixture.object;
    const reply = await request("POST", objectPath(o), o);
    if (reply.statusCode !== 201 && reply.statusCode !== 409) throw new Error(`create ${keyOf(o)}: HTTP ${reply.statusCode} ${reply.body}`);
    world.set(keyOf(o), fixture);
    deleted.delete(keyOf(o));
  }
  async function remove(o: KubeObject): Promise<void> {
    const reply = await request("DELETE", objectPath(o, o.metadata.name));
    if (reply.statusCode !== 200 && reply.statusCode !== 202 && reply.statusCode !== 404)
      throw new Error(`delete ${keyOf(o)}: HTTP ${reply.statusCode} ${reply.body}`);
    world.delete(keyOf(o));
    deleted.add(keyOf(o));
  }
  async function replace(fixture: Fixture): Promise<void> {
    const o = fixture.object;
    const current = await request("GET", objectPath(o, o.metadata.name));
    if (current.statusCode !== 200) throw new Error(`get ${keyOf(o)}: HTTP ${current.statusCode} ${current.body}`);
    const resourceVersion = (JSON.parse(current.body) as KubeObject).metadata.resourceVersion;
    const reply = await request("PUT", objectPath(o, o.metadata.name), { ...o, metadata: { ...o.metadata, resourceVersion } });
    if (reply.statusCode !== 200) throw new Error(`replace ${keyOf(o)}: HTTP ${reply.statusCode} ${reply.body}`);
    world.set(keyOf(o), fixture);
  }
  /** Right after a restart the first writes may meet a server still settling: retry for a while. */
  const retrying = (what: string, write: () => Promise<void>) =>
    until(
      what,
      async () => {
        await write();
        return true;
      },
      30_000,
    );

  // ---- PolicyReports ------------------------------------------------------

  let lastSeen = "";
  /** The namespace's PolicyReport, or for null every ClusterPolicyReport of ours (one per kind). */
  async function reportResults(namespace: string | null): Promise<PolicyReportObject["results"]> {
    const path = namespace
      ? `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${namespace}/policyreports/s3-vpce-guard`
      : `/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports?labelSelector=${encodeURIComponent("app.kubernetes.io/managed-by=s3-vpce-guard")}`;
    const reply = await request("GET", path);
    if (reply.statusCode === 404) return [];
    if (reply.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${reply.statusCode} ${reply.body}`);
    if (namespace) return (JSON.parse(reply.body) as PolicyReportObject).results ?? [];
    return (JSON.parse(reply.body) as { items: PolicyReportObject[] }).items.flatMap((r) => r.results ?? []);
  }

  async function diffReports(): Promise<ReportDiff> {
    const results = [...(await reportResults(null)), ...(await reportResults(team))];
    const short = (r: PolicyReportObject["results"][number]) =>
      `${r.resources[0]!.namespace ?? ""}/${r.resources[0]!.kind}/${r.resources[0]!.name}`;
    const actual = results.map((r) => `${short(r)} ${r.rule} ${r.result}`).sort();
    const full = results.map((r) => `${short(r)} ${r.rule} ${r.result} ${r.properties.path ?? ""} ${r.message}`);
    const expected = [...world.values()].flatMap((f) => f.results.map((r) => `${keyOf(f.object)} ${r}`)).sort();
    const diff: ReportDiff = {
      lost: multisetMinus(expected, actual),
      unexpected: multisetMinus(actual, expected),
      duplicated: multisetMinus(full, [...new Set(full)]),
      forDeleted: results.filter((r) => deleted.has(short(r))).map((r) => `${short(r)} ${r.rule} ${r.result}`),
      actual,
    };
    lastSeen = JSON.stringify({ lost: diff.lost, unexpected: diff.unexpected, duplicated: diff.duplicated, actual });
    return diff;
  }
  const exact = (d: ReportDiff) => d.lost.length === 0 && d.unexpected.length === 0 && d.duplicated.length === 0;

  interface Convergence {
    ms: number;
    converged: boolean;
    final: ReportDiff;
    /** The most duplicates any single read of the reports showed, from the fault on. */
    maxDuplicated: number;
  }

  /** Polls the reports from `since` until they equal the expected set (or `limitMs`), then checks they stay so. */
  async function convergence(since: number, limitMs = CONVERGE_BOUND_MS * 2): Promise<Convergence> {
    let maxDuplicated = 0;
    let diff: ReportDiff | undefined;
    for (;;) {
      diff = await diffReports().catch(() => undefined);
      if (diff) maxDuplicated = Math.max(maxDuplicated, diff.duplicated.length);
      if (diff && exact(diff)) break;
      if (Date.now() - since > limitMs) break;
      await sleep(100);
    }
    const ms = Date.now() - since;
    const converged = diff !== undefined && exact(diff);
    // No late writer (an old term, a stale retry) may undo it afterwards.
    if (converged) {
      for (let i = 0; i < 10; i++) {
        await sleep(300);
        diff = await diffReports();
        maxDuplicated = Math.max(maxDuplicated, diff.duplicated.length);
        if (!exact(diff)) break;
      }
    }
    return { ms, converged, final: diff ?? (await diffReports()), maxDuplicated };
  }

  /** `from`: what the clock started at, for the note. */
  function recordConvergence(scenario: string, c: Convergence, from: string): void {
    recordFaultMeasurement({
      scenario,
      metric: "converge_ms",
      value: c.ms,
      unit: "ms",
      note: `${from} → PolicyReports exact (goal ≤ ${CONVERGE_GOAL_MS / 1000} s, asserted ≤ ${CONVERGE_BOUND_MS / 1000} s)`,
    });
    recordFaultMeasurement({
      scenario,
      metric: "lost_results",
      value: c.final.lost.length,
      unit: "count",
      note: "expected results missing from the reports at the end",
    });
    recordFaultMeasurement({
      scenario,
      metric: "duplicated_results",
      value: c.maxDuplicated,
      unit: "count",
      note: "most duplicates in any read of the reports after the fault",
    });
    recordFaultMeasurement({
      scenario,
      metric: "unexpected_results",
      value: c.final.unexpected.length,
      unit: "count",
      note: "results no existing object should have, at the end",
    });
    recordFaultMeasurement({ scenario, metric: "results_for_deleted_objects", value: c.final.forDeleted.length, unit: "count" });
  }

  function expectExact(c: Convergence): void {
    expect(c.final.forDeleted, "results of deleted objects").toEqual([]);
    expect(c.final.lost, "lost results").toEqual([]);
    expect(c.final.unexpected, "unexpected results").toEqual([]);
    expect(c.maxDuplicated, "duplicated results").toBe(0);
    expect(c.converged, `reports converged (last seen: ${lastSeen})`).toBe(true);
    expect(c.ms).toBeLessThan(CONVERGE_BOUND_MS);
  }

  // ---- Admission ----------------------------------------------------------

  function admit(body: string): Promise<AdmissionSample> {
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (status: number, text: string) => {
        let allowed: boolean | undefined;
        let message = text.slice(0, 300);
        if (status === 200) {
          try {
            const response = (JSON.parse(text) as { response?: { allowed?: boolean; status?: { message?: string } } }).response;
            allowed = response?.allowed;
            message = response?.status?.message ?? "";
          } catch {
            status = -1;
          }
        }
        resolve({ ms: performance.now() - started, status, ...(allowed === undefined ? {} : { allowed }), message });
      };
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: service.webhook.port,
          path: "/validate",
          method: "POST",
          agent,
          ca: caPem,
          timeout: 10_000,
          headers: { "content-type": "application/json" },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => done(res.statusCode ?? 0, text));
          res.on("error", (e) => done(0, String(e)));
        },
      );
      req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
      req.on("error", (e) => done(0, String(e)));
      req.end(body);
    });
  }

  let probes: Probe[];

  async function sampleAdmission(count: number): Promise<AdmissionSample[]> {
    const samples: AdmissionSample[] = [];
    for (let i = 0; i < count; i++) {
      samples.push(await admit(probes[i % probes.length]!.body));
      await sleep(ADMISSION_GAP_MS);
    }
    return samples;
  }

  /** Sends reviews until stop() is called; resolves with every sample. */
  function admissionLoop(): { stop(): Promise<AdmissionSample[]> } {
    const samples: AdmissionSample[] = [];
    let running = true;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        samples.push(await admit(probes[i % probes.length]!.body));
        await sleep(ADMISSION_GAP_MS);
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return samples;
      },
    };
  }

  function recordAdmission(scenario: string, phase: "before" | "during", samples: AdmissionSample[], what: string): AdmissionSummary {
    const s = summarise(samples, probes);
    const round = (n: number) => Math.round(n * 100) / 100;
    recordFaultMeasurement({
      scenario,
      metric: `admission_p50_ms_${phase}`,
      value: round(percentile(s.latencies, 50)),
      unit: "ms",
      note: `${samples.length} direct reviews ${what}`,
    });
    recordFaultMeasurement({
      scenario,
      metric: `admission_p99_ms_${phase}`,
      value: round(percentile(s.latencies, 99)),
      unit: "ms",
      note: `${samples.length} direct reviews ${what}`,
    });
    recordFaultMeasurement({
      scenario,
      metric: `admission_errors_${phase}`,
      value: s.errors,
      unit: "count",
      note: `non-200 or no answer (goal 0)${s.firstProblem ? `; first: ${s.firstProblem.slice(0, 80)}` : ""}`,
    });
    recordFaultMeasurement({
      scenario,
      metric: `admission_wrong_answers_${phase}`,
      value: s.wrong,
      unit: "count",
      note: "answer differs from the inventory's (goal 0)",
    });
    return s;
  }

  const restartsTotal = async (metrics: Metrics, reason: string): Promise<number> =>
    (await metrics.watchRestarts.get()).values.filter((v) => v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);

  // ---- Fixtures -----------------------------------------------------------

  const OPEN_ENDPOINT = ["endpoint-full-access warn", "gateway-without-route-tables warn"];
  const PRIVATE_IP = ["source-ip-condition fail"];

  const euGateway: Fixture = {
    object: communityEndpoint({ name: "eu-gateway", region: "eu-west-1", awsId: EU_VPCE, policy: bucketGrant(BUCKET), labels: CHECKED }),
    results: [],
  };
  const openA: Fixture = { object: upjetEndpoint({ name: "s1-open-a", labels: CHECKED }), results: OPEN_ENDPOINT };
  const openB: Fixture = {
    object: upjetEndpoint({ name: "s1-open-b", annotations: { "crossplane.io/external-name": VPCE_B }, labels: CHECKED }),
    results: OPEN_ENDPOINT,
  };
  const privateIpPolicy: Fixture = {
    object: upjetBucketPolicy({ name: "s1-private-ip", policy: PRIVATE_SOURCE_IP_POLICY, namespaced: true, namespace: team }),
    results: PRIVATE_IP,
  };
  const lockedEndpoint: Fixture = {
    object: upjetEndpoint({
      name: "s2-locked-gateway",
      annotations: { "crossplane.io/external-name": VPCE_LOCKED },
      policy: bucketGrant(BUCKET),
      labels: CHECKED,
    }),
    results: [],
  };
  const lockedRta: Fixture = {
    object: upjetRouteTableAssociation({ name: "s2-locked-gateway-rtb", endpointRef: "s2-locked-gateway" }),
    results: [],
  };
  const lockedPolicy: Fixture = {
    object: upjetBucketPolicy({ name: "s2-locked", bucket: BUCKET, policy: denyUnlessEndpoint(BUCKET, VPCE_LOCKED), labels: CHECKED }),
    results: [],
  };
  const ackPrivateIp: Fixture = {
    object: ackBucket({ name: "ack-private-ip", namespace: team, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY }),
    results: PRIVATE_IP,
  };
  const ackToBreak: Fixture = { object: ackBucket({ name: "s2-ack-to-break", namespace: team, region: "us-east-1" }), results: [] };

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    await installCrds(controlPlane.kubeConfig);
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: team } } });

    certDir = mkdtempSync(join(tmpdir(), "s3vg-faults-it-"));
    const bundle = generateCertificates({ names: ["127.0.0.1", "localhost"], days: 1 });
    caPem = bundle.caPem;
    const files = await writeCertificates(certDir, bundle);
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    partition = await startPartitionProxy(new URL(controlPlane.server));
    const guardKubeConfig = kubeConfigVia(controlPlane.kubeConfig, partition.port);

    // The webhook as `serve --no-reconciler` runs it (defaults for discovery and backoff).
    service = await startService(
      {
        tlsCert: files.cert,
        tlsKey: files.key,
        port: 0,
        metricsPort: 0,
        host: "127.0.0.1",
        noKube: false,
        noReconciler: true,
        readyWithoutSync: false,
      },
      { kubeConfig: guardKubeConfig, logger: capture("warn", webhookLog) },
    );

    // The reconciler as `s3-vpce-guard reconcile` runs it: its own inventory, metrics and Lease.
    const { cluster, reconciler, metrics } = reconcilerReplica({
      kubeConfig: guardKubeConfig,
      config: defaultConfig(),
      logger: capture("info", reconcilerLog),
      identity: "faults-replica",
      lease: { name: "s3-vpce-guard", namespace: "default" },
    });
    reconciler.start();
    replica = {
      cluster,
      reconciler,
      metrics,
      async stop() {
        await reconciler.stop();
        await cluster.stop();
      },
    };
    await Promise.all([service.cluster!.synced, cluster.synced]);
    await until("the replica to lead", () => reconciler.isLeader, 60_000);
    const kinds = new Set(WATCHED_KINDS.map((k) => `${k.kind}.${k.group}`)).size;
    await until(
      "every kind to be watched",
      () => service.cluster!.watchedKinds().length === kinds && cluster.watchedKinds().length === kinds,
    );

    await registerValidatingWebhook(controlPlane.kubeConfig, {
      name: webhookName,
      url: `https://127.0.0.1:${service.webhook.port}/validate`,
      caBundlePem: bundle.caPem,
      rules: watchedKindRules(),
      objectSelector: { matchLabels: CHECKED },
      timeoutSeconds: 10,
    });

    for (const f of [euGateway, openA, openB, privateIpPolicy, lockedEndpoint, lockedRta, lockedPolicy, ackPrivateIp, ackToBreak])
      await create(f);
    await until(
      "the webhook's inventory to hold the eu-west-1 endpoint",
      () => service.inventory.regionOfEndpointId(EU_VPCE) === "eu-west-1",
    );
    const crossRegion = upjetBucketPolicy({
      name: "probe-cross-region",
      bucket: BUCKET,
      region: "us-east-1",
      policy: denyUnlessEndpoint(BUCKET, EU_VPCE),
      labels: CHECKED,
    });
    await waitForWebhook(async () => (await request("POST", `${objectPath(crossRegion)}?dryRun=All`, crossRegion)).statusCode === 403);

    // Two reviews whose answers depend on the inventory being there and complete.
    probes = [
      { body: reviewBody(crossRegion, "00000000-0000-4000-8000-000000000001"), expectAllowed: false, expectInMessage: "[cross-region]" },
      {
        body: reviewBody(communityEndpoint({ name: "probe-clean", policy: bucketGrant(BUCKET) }), "00000000-0000-4000-8000-000000000002"),
        expectAllowed: true,
      },
    ];
    const initial = await convergence(Date.now(), 60_000);
    expectExact(initial);
  }, 300_000);

  afterAll(async () => {
    if (controlPlane) await unregisterValidatingWebhook(controlPlane.kubeConfig, webhookName).catch(() => undefined);
    await service?.stop();
    await replica?.stop();
    agent?.destroy();
    await partition?.close();
    await controlPlane?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it("api-server-stopped-30s: the webhook answers from its cache throughout; afterwards reports and inventory catch up exactly", async () => {
    const scenario = "api-server-stopped-30s";
    const before = recordAdmission(scenario, "before", await sampleAdmission(BASELINE_REQUESTS), "before the fault");
    expect(before.errors + before.wrong, before.firstProblem).toBe(0);

    await controlPlane.stopApiServer();
    const down = admissionLoop();
    await sleep(API_DOWN_MS);
    const during = recordAdmission(scenario, "during", await down.stop(), `while the API server was down (${API_DOWN_MS / 1000} s)`);
    // Past the renew deadline (10 s) the leader must have stepped down: no writes from a stale term.
    const leaderDuringOutage = replica.reconciler.isLeader;
    const restarting = Date.now();
    await controlPlane.startApiServer();
    const ready = Date.now();
    const leaderBack = until("the replica to lead again", () => replica.reconciler.isLeader, CONVERGE_BOUND_MS * 2).then(
      () => Date.now() - ready,
      () => Number.NaN,
    );
    recordFaultMeasurement({
      scenario,
      metric: "api_server_start_ms",
      value: controlPlane.lastApiServerStartMs,
      unit: "ms",
      note: "spawn → /readyz 200 (context for the times below)",
    });

    // Right away: one new object, one deleted, one fixed.
    const fresh: Fixture = {
      object: upjetEndpoint({ name: "s1-new", annotations: { "crossplane.io/external-name": VPCE_NEW }, labels: CHECKED }),
      results: OPEN_ENDPOINT,
    };
    await retrying("creating s1-new", () => create(fresh));
    await retrying("deleting s1-open-b", () => remove(openB.object));
    await retrying("fixing s1-private-ip", () =>
      replace({
        object: upjetBucketPolicy({ name: "s1-private-ip", policy: bucketGrant(BUCKET), namespaced: true, namespace: team }),
        results: [],
      }),
    );

    const [webhookKnows, converged] = await Promise.all([
      until(
        "the webhook's inventory to have the new endpoint and not the deleted one",
        () => service.inventory.knowsEndpointId(VPCE_NEW) && !service.inventory.knowsEndpointId(VPCE_B),
        CONVERGE_BOUND_MS * 2,
      ).then(
        () => Date.now() - ready,
        () => Number.NaN,
      ),
      convergence(ready),
    ]);
    recordFaultMeasurement({
      scenario,
      metric: "webhook_inventory_ms",
      value: webhookKnows,
      unit: "ms",
      note: "API server ready → webhook inventory has the new object, not the deleted one",
    });
    recordConvergence(scenario, converged, "API server ready (/readyz and CRDs served)");
    const leaderMs = await leaderBack;
    // What the reconcile time is made of: each informer comes back at its next backoff attempt.
    const relists = relistsSince(restarting);
    const watched = replica.cluster.watchedKinds().length + 1; // + Namespaces
    recordFaultMeasurement({
      scenario,
      metric: "watches_relisted_ms",
      value: relists.size > 0 ? Math.max(0, Math.max(...relists.values()) - ready) : Number.NaN,
      unit: "ms",
      note: `API server ready → the last of the reconciler's watches relisted (${relists.size} of ${watched} logged; informer backoff 0.5–30 s ±20 %)`,
    });
    recordFaultMeasurement({
      scenario,
      metric: "leader_regained_ms",
      value: leaderMs,
      unit: "ms",
      note: "API server ready → the replica leads again (it stepped down after the 10 s renew deadline); 0 = already while the CRDs came up",
    });

    expect(during.errors, during.firstProblem).toBe(0);
    expect(during.wrong, during.firstProblem).toBe(0);
    expect(during.latencies.length).toBeGreaterThan(100);
    expect(leaderDuringOutage, "the leader steps down when it cannot renew").toBe(false);
    expectExact(converged);
    expect(webhookKnows).toBeLessThan(CONVERGE_BOUND_MS);
    expect(leaderMs).toBeLessThan(CONVERGE_BOUND_MS);
  }, 420_000);

  it("etcd-compaction-410: watches resumed after compaction relist; reports exact; the webhook denies against an object written in the fault window", async () => {
    const scenario = "etcd-compaction-410";
    // Several writes while the watches run, and let everything settle.
    const writes: Fixture[] = [1, 2, 3].map((n) => ({
      object: communityEndpoint({ name: `s2-write-${n}`, labels: CHECKED }),
      results: ["endpoint-full-access warn"],
    }));
    for (const f of writes) await create(f);
    await replace({ object: upjetEndpoint({ name: "s1-open-a", labels: { ...CHECKED, edited: "yes" } }), results: OPEN_ENDPOINT });
    expectExact(await convergence(Date.now(), 60_000));

    const before = recordAdmission(scenario, "before", await sampleAdmission(BASELINE_REQUESTS), "before the fault");
    expect(before.errors + before.wrong, before.firstProblem).toBe(0);
    const expiredBefore = {
      webhook: await restartsTotal(service.metrics, "expired"),
      reconciler: await restartsTotal(replica.metrics, "expired"),
    };

    // The fault: the guard is cut off from the API server (every watch breaks, the informers
    // back off), and in that window: a new endpoint (in another region, for the cross-region
    // check), a deletion that changes another object's verdict, an edit that breaks a bucket.
    // Then etcd is compacted past all of it and the API server restarts with a fresh watch
    // cache: when the guard gets through again, every watch resumes from a resourceVersion
    // that no longer exists, gets 410 Gone, and only a relist can show the window's changes.
    const fault = admissionLoop();
    partition.cut();
    const regionX: Fixture = {
      object: communityEndpoint({
        name: "s2-eu-in-window",
        region: "eu-west-1",
        awsId: VPCE_X,
        policy: bucketGrant(BUCKET),
        labels: CHECKED,
      }),
      results: [],
    };
    await create(regionX);
    await remove(lockedEndpoint.object);
    world.set(keyOf(lockedPolicy.object), { ...lockedPolicy, results: ["unknown-endpoint-reference warn"] });
    await replace({
      object: ackBucket({ name: "s2-ack-to-break", namespace: team, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY }),
      results: PRIVATE_IP,
    });
    const revision = await controlPlane.etcdRevision();
    await controlPlane.compactEtcd();
    await controlPlane.restartApiServer();
    // Cut off all along: what the guard knows now, it knew before the fault.
    const sawWindowEarly = service.inventory.knowsEndpointId(VPCE_X) || replica.cluster.inventory.knowsEndpointId(VPCE_X);
    partition.heal();
    const ready = Date.now();
    const during = recordAdmission(
      scenario,
      "during",
      await fault.stop(),
      "while the guard was cut off from the API server (window writes, compaction, API server restart)",
    );
    recordFaultMeasurement({
      scenario,
      metric: "api_server_start_ms",
      value: controlPlane.lastApiServerStartMs,
      unit: "ms",
      note: `restart right after compacting etcd at revision ${revision}`,
    });

    const [webhookKnows, converged] = await Promise.all([
      until(
        "the webhook's inventory to have the window's endpoint and not the deleted one",
        () => service.inventory.regionOfEndpointId(VPCE_X) === "eu-west-1" && !service.inventory.knowsEndpointId(VPCE_LOCKED),
        CONVERGE_BOUND_MS * 2,
      ).then(
        () => Date.now() - ready,
        () => Number.NaN,
      ),
      convergence(ready),
    ]);
    recordFaultMeasurement({
      scenario,
      metric: "webhook_inventory_ms",
      value: webhookKnows,
      unit: "ms",
      note: "partition healed (API server ready) → webhook inventory has the window's new endpoint, not the deleted one",
    });
    recordConvergence(scenario, converged, "partition healed (API server ready)");
    const expired = {
      webhook: (await restartsTotal(service.metrics, "expired")) - expiredBefore.webhook,
      reconciler: (await restartsTotal(replica.metrics, "expired")) - expiredBefore.reconciler,
    };
    recordFaultMeasurement({
      scenario,
      metric: "relists_410_webhook",
      value: expired.webhook,
      unit: "count",
      note: "s3_vpce_guard_watch_restarts_total{reason=expired} increase, webhook",
    });
    recordFaultMeasurement({
      scenario,
      metric: "relists_410_reconciler",
      value: expired.reconciler,
      unit: "count",
      note: "same, reconciler",
    });

    // Through the API server: a policy requiring the endpoint created in the fault window, from another region.
    const needsX = upjetBucketPolicy({
      name: "s2-needs-window-endpoint",
      bucket: BUCKET,
      region: "us-east-1",
      policy: denyUnlessEndpoint(BUCKET, VPCE_X),
      labels: CHECKED,
    });
    const denied = await request("POST", objectPath(needsX), needsX);
    expect(denied.statusCode, denied.body).toBe(403);
    expect(denied.body).toContain("[cross-region]");
    expect(denied.body).toContain(VPCE_X);
    const direct = await admit(reviewBody(needsX, "00000000-0000-4000-8000-000000000003"));
    expect(direct).toMatchObject({ status: 200, allowed: false });

    expect(sawWindowEarly, "the guard cannot have seen the window's writes before the partition healed").toBe(false);
    expect(expired.webhook, "the webhook's watches relisted after 410 Gone").toBeGreaterThan(0);
    expect(expired.reconciler, "the reconciler's watches relisted after 410 Gone").toBeGreaterThan(0);
    expect(relistsSince(ready - 60_000).size, "relists logged by the reconciler").toBeGreaterThan(0);
    expect(during.errors, during.firstProblem).toBe(0);
    expect(during.wrong, during.firstProblem).toBe(0);
    expectExact(converged);
    expect(webhookKnows).toBeLessThan(CONVERGE_BOUND_MS);
  }, 420_000);
});
