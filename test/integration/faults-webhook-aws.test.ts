// Fault injection with numbers, for the webhook and for AWS verification. Every number goes
// through recordFaultMeasurement (bench/faults.sh turns them into the README's table); the
// assertions are about behaviour, with generous bounds.
//
// webhook-replica-killed: two `serve` processes (real child processes, real kube-apiserver)
//   behind a TCP round-robin proxy that plays the Service. The proxy drops a backend the
//   first time a connection to it is REFUSED (what an endpoints controller does after the
//   pod's readiness probe fails, only faster); it never re-dispatches that connection, so
//   the request on it fails, as with kube-proxy. One process is SIGKILLed under load.
// aws-throttling / aws-timeout: `serve --no-kube` with AWS verification against moto, through
//   an HTTP proxy that answers every EC2 call with HTTP 400 RequestLimitExceeded, or holds it
//   without an answer, then passes through again.
import { CreateVpcCommand, CreateVpcEndpointCommand, EC2Client } from "@aws-sdk/client-ec2";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { generateCertificates, writeCertificates } from "../../src/platform/http/certificates.js";
import {
  createCertificateAuthority,
  describeIntegration,
  freeLoopbackPort,
  issueServingCert,
  repoRoot,
  spawnManaged,
  startControlPlane,
  writeKubeConfigFile,
  type ControlPlane,
  type ManagedProcess,
} from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { percentile, recordFaultMeasurement } from "../harness/fault-results.js";
import { logOnFailure } from "../helpers/failure-log.js";
import { motoCredentials, startEc2FaultProxy, startMoto, type Ec2FaultProxy, type Moto } from "../harness/moto.js";
import {
  registerValidatingWebhook,
  unregisterValidatingWebhook,
  waitForWebhook,
  watchedKindRules,
} from "../harness/webhook-registration.js";
import { denyUnlessEndpoint, upjetBucket, upjetBucketPolicy, PRIVATE_SOURCE_IP_POLICY } from "../helpers/manifests.js";
import { sleep, until } from "../harness/wait.js";

const cli = path.join(repoRoot, "dist/src/cli/main.js");
const round = (ms: number): number => Math.round(ms * 10) / 10;

function requireBuild(): void {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------------------
// HTTP(S) with timings

interface Reply {
  status: number;
  body: string;
}

/** One request; rejects on socket errors and after `timeoutMs`. */
function send(
  client: typeof http | typeof https,
  url: string,
  options: https.RequestOptions,
  body?: string,
  timeoutMs = 30_000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = client.request(url, { ...options, timeout: timeoutMs }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end(body);
  });
}

function errorText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The AdmissionReview v1 the API server sends for a CREATE of `object`. */
function admissionReview(object: KubeObject, uid: string): string {
  const [group = "", version = ""] = object.apiVersion.split("/");
  const plural = WATCHED_KINDS.find((k) => k.group === group && k.kind === object.kind)?.plural ?? `${object.kind.toLowerCase()}s`;
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: plural },
      name: object.metadata.name,
      operation: "CREATE",
      userInfo: { username: "s3vg-fault-test", groups: ["system:authenticated"] },
      object,
      oldObject: null,
      dryRun: true,
    },
  });
}

interface AdmissionAnswer {
  allowed: boolean;
  message: string;
  warnings: string[];
}

function parseAdmissionAnswer(reply: Reply): AdmissionAnswer | undefined {
  if (reply.status !== 200) return undefined;
  const response = (JSON.parse(reply.body) as { response?: { allowed?: boolean; status?: { message?: string }; warnings?: string[] } })
    .response;
  if (typeof response?.allowed !== "boolean") return undefined;
  return { allowed: response.allowed, message: response.status?.message ?? "", warnings: response.warnings ?? [] };
}

// ---------------------------------------------------------------------------
// `serve` as a child process

interface ServeProcess {
  name: string;
  process: ManagedProcess;
  port: number;
  metricsPort: number;
  logFile: string;
}

/**
 * `node dist/src/cli/main.js serve --port P --metrics-port M --host 127.0.0.1 ARGS` with its
 * own environment (through env(1): `unset` removed, `env` added), in its own process group.
 * Resolves once /healthz answers 200.
 */
/**
 * `serve` as a child process; with `preloadFiles` (JSON Lists) its inventory is filled from them
 * and complete, through bench/webhook-serve.mjs (the shipped CLI has no such flag).
 */
async function startServe(
  name: string,
  workDir: string,
  args: string[],
  env: Record<string, string>,
  unset: string[] = [],
  preloadFiles: string[] = [],
): Promise<ServeProcess> {
  const port = await freeLoopbackPort();
  let metricsPort = await freeLoopbackPort();
  while (metricsPort === port) metricsPort = await freeLoopbackPort();
  const logFile = path.join(workDir, `${name}.log`);
  const envArgs = [...unset.flatMap((key) => ["-u", key]), ...Object.entries(env).map(([key, value]) => `${key}=${value}`)];
  const serveArgs = ["--port", String(port), "--metrics-port", String(metricsPort), "--host", "127.0.0.1", ...args];
  const program =
    preloadFiles.length > 0
      ? [path.join(repoRoot, "bench/webhook-serve.mjs"), ...preloadFiles.flatMap((file) => ["--preload-file", file]), "--", ...serveArgs]
      : [cli, "serve", ...serveArgs];
  const managed = spawnManaged(name, "env", [...envArgs, process.execPath, ...program], logFile);
  let exited = false;
  void managed.exited.then(() => (exited = true));
  await until(
    `${name} to answer /healthz`,
    async () => {
      if (exited) throw new Error(`${name} exited before answering /healthz; log (${logFile}):\n${logTail(logFile)}`);
      const reply = await send(https, `https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false }, undefined, 2_000).catch(
        () => undefined,
      );
      return reply?.status === 200;
    },
    60_000,
  );
  return { name, process: managed, port, metricsPort, logFile };
}

async function readyz(serve: ServeProcess): Promise<number> {
  const reply = await send(https, `https://127.0.0.1:${serve.port}/readyz`, { rejectUnauthorized: false }, undefined, 2_000).catch(
    () => undefined,
  );
  return reply?.status ?? 0;
}

async function metricsText(serve: ServeProcess): Promise<string> {
  const reply = await send(http, `http://127.0.0.1:${serve.metricsPort}/metrics`, {}, undefined, 5_000);
  return reply.body;
}

/** Sum of a counter's samples whose labels contain every `label="value"` given. */
function counterSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm"))) {
    const labelText = match[1] ?? "";
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) sum += Number(match[2]);
  }
  return sum;
}

function latencySummary(ms: number[]): { p50: number; p99: number; n: number } {
  return { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), n: ms.length };
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

const describeCounts = (counts: Map<string, number>): string =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n}× ${reason}`)
    .join("; ");

// ---------------------------------------------------------------------------
// The Service: a TCP round-robin proxy

interface ProxyBackend {
  name: string;
  port: number;
  up: boolean;
  connections: number;
  refused: number;
  /** performance.now() when the backend was dropped. */
  droppedAt?: number;
}

interface RoundRobinProxy {
  port: number;
  backends: ProxyBackend[];
  close(): Promise<void>;
}

/**
 * Each accepted connection goes to the next backend that is up, bytes piped both ways (TLS
 * ends at the backend). A refused connection drops that backend for good and the client's
 * connection is closed: like kube-proxy, the proxy does not try another backend.
 */
async function startRoundRobinProxy(targets: { name: string; port: number }[]): Promise<RoundRobinProxy> {
  const backends: ProxyBackend[] = targets.map((t) => ({ ...t, up: true, connections: 0, refused: 0 }));
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  let next = 0;
  const server = net.createServer((client) => {
    track(client);
    const live = backends.filter((b) => b.up);
    const backend = live[next++ % Math.max(1, live.length)];
    if (!backend) {
      client.destroy();
      return;
    }
    backend.connections++;
    const upstream = net.connect({ host: "127.0.0.1", port: backend.port });
    track(upstream);
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED") {
        backend.refused++;
        if (backend.up) {
          backend.up = false;
          backend.droppedAt = performance.now();
        }
      }
      client.destroy();
    });
    client.on("error", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    client.once("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    backends,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// EC2 in trouble: an HTTP proxy in front of moto

type Ec2Fault = "pass" | "throttle" | "hang";

interface SwitchableEc2Proxy extends Ec2FaultProxy {
  mode: Ec2Fault;
  /** Every request that arrived: when (performance.now()), in which mode, which EC2 action. */
  readonly arrivals: { at: number; mode: Ec2Fault; action: string }[];
}

/** Throttling is HTTP 400 RequestLimitExceeded, as EC2 answers when the account's rate is exceeded. */
async function startSwitchableEc2Proxy(target: string): Promise<SwitchableEc2Proxy> {
  const state: Pick<SwitchableEc2Proxy, "mode" | "arrivals"> = { mode: "pass", arrivals: [] };
  const proxy = await startEc2FaultProxy(target, (body) => {
    const mode = state.mode;
    state.arrivals.push({ at: performance.now(), mode, action: new URLSearchParams(body.toString("utf8")).get("Action") ?? "?" });
    return mode === "throttle" ? { status: 400, code: "RequestLimitExceeded" } : mode;
  });
  return Object.assign(state, proxy);
}

// ===========================================================================

interface AdmissionRecord {
  path: "api" | "direct";
  expected: "deny" | "allow";
  startedAt: number;
  endedAt: number;
  outcome: "correct" | "wrong" | "failed";
  reason?: string;
}

/** The API server's message for a failed webhook call, without the URL's port and the request id. */
function webhookFailureReason(reply: Reply): string {
  let message = reply.body;
  try {
    message = (JSON.parse(reply.body) as { message?: string }).message ?? reply.body;
  } catch {
    // not JSON
  }
  const call = /failed to call webhook: (.*)$/s.exec(message)?.[1] ?? message;
  return `HTTP ${reply.status}: ${call
    .replace(/Post "[^"]*": /, "")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .slice(0, 160)}`;
}

describeIntegration(
  "fault injection: a webhook replica is SIGKILLed under load",
  () => {
    const SCENARIO = "webhook-replica-killed";
    const webhookName = "s3vg-fault-kill";
    const API_WORKERS = 4;
    const DIRECT_WORKERS = 2;
    const BEFORE_MS = 6_000;
    const AFTER_MS = 15_000;
    /** Generous: failures must stop within this long after the kill. */
    const MAX_FAILURE_WINDOW_MS = 8_000;

    let controlPlane: ControlPlane;
    let work: string;
    let caPem: string;
    let timeoutSeconds: number;
    const serves: ServeProcess[] = [];
    let proxy: RoundRobinProxy | undefined;

    beforeAll(async () => {
      requireBuild();
      const chartValues = parseYaml(readFileSync(path.join(repoRoot, "charts/s3-vpce-guard/values.yaml"), "utf8")) as {
        webhook: { timeoutSeconds: number };
      };
      timeoutSeconds = chartValues.webhook.timeoutSeconds;
      controlPlane = await startControlPlane();
      await installCrds(controlPlane.kubeConfig);
      work = mkdtempSync(path.join(os.tmpdir(), "s3vg-fault-kill-"));
      const pki = path.join(work, "pki");
      caPem = await createCertificateAuthority(pki, "s3vg-fault-webhook-ca");
      const kubeconfig = writeKubeConfigFile(controlPlane, path.join(work, "kubeconfig"));
      for (const name of ["serve-a", "serve-b"]) {
        await issueServingCert(pki, name, ["IP:127.0.0.1", "DNS:localhost"]);
        // As the chart runs it: reconciler on, leader election on a shared Lease.
        const args = [
          "--tls-cert",
          path.join(pki, `${name}.crt`),
          "--tls-key",
          path.join(pki, `${name}.key`),
          "--lease-name",
          "s3vg-fault",
          "--lease-namespace",
          "kube-system",
          "--identity",
          name,
        ];
        serves.push(await startServe(name, work, args, { KUBECONFIG: kubeconfig, POD_NAME: name, POD_NAMESPACE: "kube-system" }));
      }
      for (const serve of serves)
        await until(`${serve.name} to be ready (first inventory sync)`, async () => (await readyz(serve)) === 200, 60_000);
      proxy = await startRoundRobinProxy(serves.map((s) => ({ name: s.name, port: s.port })));
      await registerValidatingWebhook(controlPlane.kubeConfig, {
        name: webhookName,
        url: `https://127.0.0.1:${proxy.port}/validate`,
        caBundlePem: caPem,
        rules: watchedKindRules(),
        failurePolicy: "Fail",
        timeoutSeconds,
      });
      const probe = upjetBucketPolicy({ name: "probe", policy: PRIVATE_SOURCE_IP_POLICY });
      await waitForWebhook(async () => {
        const reply = await send(
          https,
          `${controlPlane.server}${objectPath(probe)}?dryRun=All`,
          {
            method: "POST",
            ca: controlPlane.caPem,
            cert: controlPlane.adminCertPem,
            key: controlPlane.adminKeyPem,
            headers: { "content-type": "application/json" },
          },
          JSON.stringify(probe),
        );
        return reply.status === 403;
      }, 60_000);
    }, 300_000);

    afterAll(async () => {
      if (controlPlane) await unregisterValidatingWebhook(controlPlane.kubeConfig, webhookName).catch(() => undefined);
      await proxy?.close();
      for (const serve of serves) await serve.process.stop(5_000);
      await controlPlane?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("keeps every answer right, fails only requests caught by the kill, and the survivor serves on", async () => {
      const [victim, survivor] = serves as [ServeProcess, ServeProcess];
      const violating = (n: string) => upjetBucketPolicy({ name: n, bucket: "fault-bucket", policy: PRIVATE_SOURCE_IP_POLICY });
      const compliant = (n: string) =>
        upjetBucketPolicy({
          name: n,
          bucket: "fault-bucket",
          policy: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::123456789012:role/reader" },
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::fault-bucket/*",
              },
            ],
          },
        });
      const apiAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });
      const directAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });
      const records: AdmissionRecord[] = [];
      let stopping = false;

      const apiWorker = async (worker: number): Promise<void> => {
        for (let i = 0; !stopping; i++) {
          const expected = i % 2 === 0 ? "deny" : "allow";
          const name = `load-${worker}-${i}`;
          const object = expected === "deny" ? violating(name) : compliant(name);
          const startedAt = performance.now();
          const record: AdmissionRecord = { path: "api", expected, startedAt, endedAt: 0, outcome: "failed" };
          try {
            const reply = await send(
              https,
              `${controlPlane.server}${objectPath(object)}?dryRun=All`,
              {
                method: "POST",
                agent: apiAgent,
                ca: controlPlane.caPem,
                cert: controlPlane.adminCertPem,
                key: controlPlane.adminKeyPem,
                headers: { "content-type": "application/json" },
              },
              JSON.stringify(object),
            );
            const denied =
              reply.status === 403 && reply.body.includes("denied the request") && reply.body.includes("[source-ip-condition]");
            const allowed = reply.status === 201;
            if (denied || allowed) record.outcome = (denied ? "deny" : "allow") === expected ? "correct" : "wrong";
            else record.reason = webhookFailureReason(reply);
          } catch (error) {
            record.reason = `client: ${errorText(error)}`;
          }
          record.endedAt = performance.now();
          records.push(record);
        }
      };
      const directWorker = async (worker: number): Promise<void> => {
        for (let i = 0; !stopping; i++) {
          const expected = i % 2 === 0 ? "deny" : "allow";
          const name = `direct-${worker}-${i}`;
          const object = expected === "deny" ? violating(name) : compliant(name);
          const startedAt = performance.now();
          const record: AdmissionRecord = { path: "direct", expected, startedAt, endedAt: 0, outcome: "failed" };
          try {
            const reply = await send(
              https,
              `https://127.0.0.1:${proxy!.port}/validate`,
              { method: "POST", agent: directAgent, ca: caPem, headers: { "content-type": "application/json" } },
              admissionReview(object, `00000000-0000-4000-8000-${String(worker * 1_000_000 + i).padStart(12, "0")}`),
              timeoutSeconds * 1000,
            );
            const answer = parseAdmissionAnswer(reply);
            if (answer) record.outcome = (answer.allowed ? "allow" : "deny") === expected ? "correct" : "wrong";
            else record.reason = `HTTP ${reply.status}: ${reply.body.slice(0, 120)}`;
          } catch (error) {
            record.reason = errorText(error);
          }
          record.endedAt = performance.now();
          records.push(record);
        }
      };

      const admitted = async (serve: ServeProcess): Promise<number> =>
        counterSum(await metricsText(serve), "s3_vpce_guard_admission_requests_total");
      const loadStart = performance.now();
      const workers = [
        ...Array.from({ length: API_WORKERS }, (_, w) => apiWorker(w)),
        ...Array.from({ length: DIRECT_WORKERS }, (_, w) => directWorker(w)),
      ];
      let killAt = 0;
      let survivorBeforeKill = 0;
      try {
        await sleep(BEFORE_MS);
        const victimBeforeKill = await admitted(victim);
        survivorBeforeKill = await admitted(survivor);
        // Both replicas must have been serving, else killing one proves nothing.
        expect(victimBeforeKill, `${victim.name} answered nothing before the kill`).toBeGreaterThan(0);
        expect(survivorBeforeKill, `${survivor.name} answered nothing before the kill`).toBeGreaterThan(0);
        killAt = performance.now();
        process.kill(-victim.process.child.pid!, "SIGKILL");
        await sleep(AFTER_MS);
      } finally {
        stopping = true;
        await Promise.all(workers);
        apiAgent.destroy();
        directAgent.destroy();
      }
      const loadEnd = performance.now();
      expect(await victim.process.exited).toBeNull(); // killed by a signal, no exit code

      const failures = records.filter((r) => r.outcome === "failed");
      const wrong = records.filter((r) => r.outcome === "wrong");
      const failedBeforeKill = failures.filter((r) => r.endedAt < killAt);
      const lastFailureEnd = Math.max(killAt, ...failures.map((r) => r.endedAt));
      const windowMs = failures.length > 0 ? lastFailureEnd - killAt : 0;
      const windowEnd = killAt + windowMs;

      for (const p of ["api", "direct"] as const) {
        const mine = records.filter((r) => r.path === p);
        const before = mine.filter((r) => r.endedAt < killAt && r.outcome !== "failed").map((r) => r.endedAt - r.startedAt);
        const after = mine.filter((r) => r.startedAt > windowEnd && r.outcome !== "failed").map((r) => r.endedAt - r.startedAt);
        const failed = failures.filter((r) => r.path === p);
        const inFlight = failed.filter((r) => r.startedAt < killAt).length;
        const prefix = p === "api" ? "" : "direct_";
        const via = p === "api" ? "dry-run creates through kube-apiserver" : "AdmissionReviews straight to the proxy";
        const b = latencySummary(before);
        const a = latencySummary(after);
        recordFaultMeasurement({
          scenario: SCENARIO,
          metric: `${prefix}failed_admissions_during_kill`,
          value: failed.length,
          unit: "count",
          note: `${via}, ${p === "api" ? API_WORKERS : DIRECT_WORKERS} concurrent, ${mine.length} sent; ${
            failed.length > 0
              ? `${inFlight} in flight at the SIGKILL, ${failed.length - inFlight} sent after it: ${describeCounts(countBy(failed, (r) => r.reason ?? "?"))}`
              : "none failed"
          }`,
        });
        recordFaultMeasurement({
          scenario: SCENARIO,
          metric: `${prefix}admission_p50_ms_before`,
          value: b.p50,
          unit: "ms",
          note: `${via}, ${b.n} requests in ${BEFORE_MS / 1000} s, 2 replicas`,
        });
        recordFaultMeasurement({
          scenario: SCENARIO,
          metric: `${prefix}admission_p99_ms_before`,
          value: b.p99,
          unit: "ms",
          note: `${via}, 2 replicas`,
        });
        recordFaultMeasurement({
          scenario: SCENARIO,
          metric: `${prefix}admission_p50_ms_after`,
          value: a.p50,
          unit: "ms",
          note: `${via}, ${a.n} requests started after the failure window, 1 replica`,
        });
        recordFaultMeasurement({
          scenario: SCENARIO,
          metric: `${prefix}admission_p99_ms_after`,
          value: a.p99,
          unit: "ms",
          note: `${via}, 1 replica`,
        });
        expect(before.length, `${p}: answered requests before the kill`).toBeGreaterThan(10);
        expect(after.length, `${p}: answered requests after the failure window`).toBeGreaterThan(10);
      }
      const droppedAfterMs = proxy!.backends[0]!.droppedAt === undefined ? -1 : proxy!.backends[0]!.droppedAt - killAt;
      recordFaultMeasurement({
        scenario: SCENARIO,
        metric: "backend_dropped_after_ms",
        value: Math.round(droppedAfterMs),
        unit: "ms",
        note: "SIGKILL to the proxy's first refused connection to the killed replica (-1: never refused)",
      });
      recordFaultMeasurement({
        scenario: SCENARIO,
        metric: "failure_window_ms",
        value: Math.round(windowMs),
        unit: "ms",
        note: "SIGKILL to the last failed answer, both paths (0: nothing failed)",
      });
      recordFaultMeasurement({
        scenario: SCENARIO,
        metric: "wrong_decisions",
        value: wrong.length,
        unit: "count",
        note: `of ${records.length - failures.length} answered (violating denied, compliant allowed)`,
      });
      for (const f of failures) {
        logOnFailure(
          `[fault] ${SCENARIO} failed ${f.path} ${f.expected}: started ${Math.round(f.startedAt - killAt)} ms after the kill, took ${Math.round(f.endedAt - f.startedAt)} ms: ${f.reason}`,
        );
      }
      logOnFailure(
        `[fault] ${SCENARIO} proxy: ${proxy!.backends.map((b) => `${b.name} up=${b.up} connections=${b.connections} refused=${b.refused}`).join(", ")}`,
      );

      // Every answer is the right one; nothing failed before the kill.
      expect(wrong).toEqual([]);
      expect(failedBeforeKill).toEqual([]);
      // Failures stop soon after the kill, and a long failure-free stretch follows it.
      expect(windowMs).toBeLessThan(MAX_FAILURE_WINDOW_MS);
      expect(loadEnd - windowEnd).toBeGreaterThan(AFTER_MS - MAX_FAILURE_WINDOW_MS);
      expect(failures.every((r) => r.startedAt >= killAt - timeoutSeconds * 1000 && r.endedAt >= killAt)).toBe(true);
      // The Service dropped the dead replica; the survivor kept serving and is still ready.
      expect(proxy!.backends.map((b) => b.up)).toEqual([false, true]);
      expect(survivor.process.child.exitCode).toBeNull();
      expect(await readyz(survivor)).toBe(200);
      const survivorAfter = await admitted(survivor);
      const answeredAfterWindow = records.filter((r) => r.startedAt > windowEnd && r.outcome === "correct").length;
      expect(survivorAfter - survivorBeforeKill).toBeGreaterThanOrEqual(answeredAfterWindow);
      logOnFailure(
        `[fault] ${SCENARIO}: ${records.length} requests in ${Math.round(loadEnd - loadStart)} ms; survivor answered ${survivorAfter - survivorBeforeKill} after the kill`,
      );
    }, 180_000);
  },
  ["control-plane"],
);

// ===========================================================================

/** What admission says about an endpoint id, seen from outside the process. */
type FactState = "known" | "undetermined" | "absent" | "failed";

describeIntegration(
  "fault injection: EC2 throttles or stops answering while serve verifies endpoints in AWS",
  () => {
    /** Short on purpose: a snapshot is fresh for 3 s, served stale 3 s more, then forgotten. */
    const CACHE_TTL_MS = 3_000;
    /** src/platform/aws/ec2-source.ts DEFAULT_RATE_LIMIT (per region): the most EC2 may see. */
    const RATE = { capacity: 10, refillPerSecond: 5 };
    const BASELINE_MS = 5_000;

    let moto: Moto;
    let ec2: EC2Client;
    let vpcId: string;
    let knownEndpoint: string;
    let ec2Proxy: SwitchableEc2Proxy;
    let work: string;
    let tls: { cert: string; key: string; caPem: string };
    let configFile: string;
    let preloadFile: string;

    beforeAll(async () => {
      requireBuild();
      moto = await startMoto();
      ec2 = new EC2Client({ endpoint: moto.endpoint, region: "us-east-1", credentials: motoCredentials });
      vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.60.0.0/16" }))).Vpc!.VpcId!;
      knownEndpoint = (
        await ec2.send(
          new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: "com.amazonaws.us-east-1.s3", VpcEndpointType: "Gateway" }),
        )
      ).VpcEndpoint!.VpcEndpointId!;
      ec2Proxy = await startSwitchableEc2Proxy(moto.endpoint);
      work = mkdtempSync(path.join(os.tmpdir(), "s3vg-fault-aws-"));
      const bundle = generateCertificates({ names: ["127.0.0.1", "localhost"], days: 1 });
      tls = { ...(await writeCertificates(work, bundle)), caPem: bundle.caPem };
      configFile = path.join(work, "config.yaml");
      writeFileSync(configFile, `aws:\n  enabled: true\n  cacheTtl: ${CACHE_TTL_MS / 1000}s\n`);
      // A complete inventory (as after the first sync) whose only region is us-east-1.
      preloadFile = path.join(work, "inventory.json");
      writeFileSync(preloadFile, JSON.stringify({ kind: "List", items: [upjetBucket({ name: "fault-bucket", region: "us-east-1" })] }));
    }, 120_000);

    afterAll(async () => {
      ec2?.destroy();
      await ec2Proxy?.close();
      await moto?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /**
     * A bucket in eu-west-1 whose policy requires `endpointId` (a us-east-1 endpoint known
     * only to AWS): known → cross-region deny; not listed (undetermined) → admitted without
     * finding; "absent" → the unknown-endpoint-reference warning.
     */
    async function probe(
      serve: ServeProcess,
      agent: https.Agent,
      endpointId: string,
      n: number,
    ): Promise<{ state: FactState; ms: number; reason?: string }> {
      const object = upjetBucketPolicy({
        name: `probe-${n}`,
        bucket: "eu-bucket",
        region: "eu-west-1",
        policy: denyUnlessEndpoint("eu-bucket", endpointId),
      });
      const started = performance.now();
      try {
        const reply = await send(
          https,
          `https://127.0.0.1:${serve.port}/validate`,
          { method: "POST", agent, ca: tls.caPem, headers: { "content-type": "application/json" } },
          admissionReview(object, `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`),
          10_000,
        );
        const ms = performance.now() - started;
        const answer = parseAdmissionAnswer(reply);
        if (!answer) return { state: "failed", ms, reason: `HTTP ${reply.status}` };
        if (answer.warnings.some((w) => w.includes("[unknown-endpoint-reference]") && w.includes(endpointId)))
          return { state: "absent", ms };
        if (!answer.allowed && answer.message.includes("[cross-region]") && answer.message.includes(endpointId))
          return { state: "known", ms };
        if (answer.allowed) return { state: "undetermined", ms };
        return { state: "failed", ms, reason: `denied for another reason: ${answer.message.slice(0, 200)}` };
      } catch (error) {
        return { state: "failed", ms: performance.now() - started, reason: errorText(error) };
      }
    }

    async function awsRequests(serve: ServeProcess): Promise<Record<"success" | "throttled" | "error", number>> {
      const text = await metricsText(serve);
      return {
        success: counterSum(text, "s3_vpce_guard_aws_requests_total", { outcome: "success" }),
        throttled: counterSum(text, "s3_vpce_guard_aws_requests_total", { outcome: "throttled" }),
        error: counterSum(text, "s3_vpce_guard_aws_requests_total", { outcome: "error" }),
      };
    }

    async function runScenario(
      scenario: "aws-throttling" | "aws-timeout",
      fault: Exclude<Ec2Fault, "pass">,
      faultMs: number,
    ): Promise<void> {
      ec2Proxy.mode = "pass";
      const serve = await startServe(
        scenario,
        work,
        ["--tls-cert", tls.cert, "--tls-key", tls.key, "--no-kube", "--config", configFile],
        {
          AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
          AWS_REGION: "us-east-1",
          AWS_ENDPOINT_URL_EC2: ec2Proxy.endpoint,
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_CONFIG_FILE: "/nonexistent",
          AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
        },
        ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "KUBECONFIG"],
        [preloadFile],
      );
      const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
      const records: { at: number; endedAt: number; id: string; state: FactState; ms: number; reason?: string }[] = [];
      let stopping = false;
      let n = 0;
      let newEndpoint: string | undefined;
      try {
        await until(
          "the AWS endpoint to be known through EC2",
          async () => (await probe(serve, agent, knownEndpoint, n++)).state === "known",
          60_000,
        );
        // Direct admission load: 2 clients, each alternating the two probes.
        const worker = async (): Promise<void> => {
          while (!stopping) {
            for (const id of [knownEndpoint, newEndpoint]) {
              if (id === undefined || stopping) continue;
              const at = performance.now();
              const result = await probe(serve, agent, id, n++);
              records.push({ at, endedAt: performance.now(), id, ...result });
            }
            await sleep(5);
          }
        };
        const workers = [worker(), worker()];
        try {
          await sleep(BASELINE_MS);
          const metricsBefore = await awsRequests(serve);
          const faultOn = performance.now();
          ec2Proxy.mode = fault;
          // Created while EC2 is in trouble (straight to moto): seen once the facts are fresh again.
          newEndpoint = (
            await ec2.send(
              new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: "com.amazonaws.us-east-1.s3", VpcEndpointType: "Gateway" }),
            )
          ).VpcEndpoint!.VpcEndpointId!;
          await sleep(faultMs - (performance.now() - faultOn));
          const faultOff = performance.now();
          ec2Proxy.mode = "pass";
          const metricsAtFaultOff = await awsRequests(serve);
          const heldAtFaultOff = ec2Proxy.held();
          const fresh = newEndpoint;
          let convergedAt = 0;
          await until(
            "the facts to be fresh again (both endpoints known)",
            async () => {
              const [a, b] = [await probe(serve, agent, knownEndpoint, n++), await probe(serve, agent, fresh, n++)];
              if (a.state === "known" && b.state === "known") convergedAt = performance.now();
              return convergedAt > 0;
            },
            90_000,
          );
          const convergeMs = convergedAt - faultOff;
          await sleep(1_000);
          const metricsAfter = await awsRequests(serve);

          const faultS = (faultOff - faultOn) / 1000;
          const arrivalsDuring = ec2Proxy.arrivals.filter((a) => a.at >= faultOn && a.at < faultOff);
          const perSecond = Math.round((arrivalsDuring.length / faultS) * 100) / 100;
          const ofKnown = records.filter((r) => r.id === knownEndpoint);
          const baseline = ofKnown.filter((r) => r.endedAt < faultOn);
          const during = records.filter((r) => r.at >= faultOn && r.endedAt < faultOff);
          const duringKnown = during.filter((r) => r.id === knownEndpoint);
          const wrongAbsent = ofKnown.filter((r) => r.state === "absent");
          const failed = records.filter((r) => r.state === "failed");
          const before = latencySummary(records.filter((r) => r.endedAt < faultOn).map((r) => r.ms));
          const inFault = latencySummary(during.map((r) => r.ms));
          const lastKnown = Math.max(faultOn, ...duringKnown.filter((r) => r.state === "known").map((r) => r.endedAt));
          const states = countBy(duringKnown, (r) => r.state);
          const faultDelta = {
            throttled: metricsAtFaultOff.throttled - metricsBefore.throttled,
            error: metricsAtFaultOff.error - metricsBefore.error,
            success: metricsAtFaultOff.success - metricsBefore.success,
          };
          const what =
            fault === "throttle" ? "every EC2 call answered HTTP 400 RequestLimitExceeded" : "every EC2 call held without an answer";

          recordFaultMeasurement({
            scenario,
            metric: "wrong_absent_facts",
            value: wrongAbsent.length,
            unit: "count",
            note: `admission answers calling the existing endpoint unknown, of ${ofKnown.length} probes for it (${what} for ${Math.round(faultS)} s)`,
          });
          recordFaultMeasurement({
            scenario,
            metric: "last_known_answer_kept_ms",
            value: Math.round(lastKnown - faultOn),
            unit: "ms",
            note: `into the fault the existing endpoint was still known (cache TTL ${CACHE_TTL_MS / 1000} s + as long stale), then undetermined: ${describeCounts(states)}`,
          });
          recordFaultMeasurement({
            scenario,
            metric: "admission_p50_ms_before",
            value: before.p50,
            unit: "ms",
            note: `AdmissionReviews straight to serve, 2 clients, ${before.n} requests`,
          });
          recordFaultMeasurement({ scenario, metric: "admission_p99_ms_before", value: before.p99, unit: "ms" });
          recordFaultMeasurement({
            scenario,
            metric: "admission_p50_ms_during",
            value: inFault.p50,
            unit: "ms",
            note: `${inFault.n} requests during the fault`,
          });
          recordFaultMeasurement({ scenario, metric: "admission_p99_ms_during", value: inFault.p99, unit: "ms" });
          recordFaultMeasurement({
            scenario,
            metric: "ec2_requests_during",
            value: arrivalsDuring.length,
            unit: "count",
            note: `EC2 requests that reached the proxy during the ${faultS.toFixed(1)} s fault`,
          });
          recordFaultMeasurement({
            scenario,
            metric: "ec2_requests_per_s_during",
            value: perSecond,
            unit: "req/s",
            note: `${arrivalsDuring.length} EC2 requests reached the proxy in ${faultS.toFixed(1)} s (3 Describe calls per listing, refresh every ${CACHE_TTL_MS / 1000} s, 5 attempts, limiter ${RATE.capacity} + ${RATE.refillPerSecond}/s); metrics counted ${faultDelta.throttled} throttled, ${faultDelta.error} error, ${faultDelta.success} success`,
          });
          recordFaultMeasurement({
            scenario,
            metric: "converge_ms",
            value: Math.round(convergeMs),
            unit: "ms",
            note: `fault off to both endpoints known (one created during the fault)${heldAtFaultOff > 0 ? `; ${heldAtFaultOff} EC2 requests were still held at fault off` : ""}`,
          });
          logOnFailure(
            `[fault] ${scenario} aws_requests_total before/at fault off/after: ${JSON.stringify([metricsBefore, metricsAtFaultOff, metricsAfter])}`,
          );
          if (failed.length > 0)
            logOnFailure(`[fault] ${scenario} failed probes: ${describeCounts(countBy(failed, (r) => r.reason ?? "?"))}`);
          // A baseline probe that was not "known" means the facts lapsed while EC2 was healthy:
          // when, beside when EC2 was asked, tells a late refresh from a slow listing.
          const notKnown = baseline.filter((r) => r.state !== "known");
          if (notKnown.length > 0)
            logOnFailure(
              `[fault] ${scenario} baseline probes not known: ${describeCounts(countBy(notKnown, (r) => r.state))}; the first at ${notKnown
                .slice(0, 5)
                .map((r) => Math.round(faultOn - r.at))
                .join(", ")} ms before the fault; EC2 asked ${ec2Proxy.arrivals
                .filter((a) => a.at < faultOn)
                .map((a) => Math.round(faultOn - a.at))
                .join(", ")} ms before it`,
            );

          // Before the fault the endpoint was always known.
          expect(baseline.length).toBeGreaterThan(10);
          expect(baseline.every((r) => r.state === "known")).toBe(true);
          // During and after: last known answer or undetermined, never "absent"; admission never failed.
          expect(wrongAbsent).toEqual([]);
          expect(failed).toEqual([]);
          expect(duringKnown.length).toBeGreaterThan(10);
          // AWS is off the admission path: a held EC2 call (10 s SDK timeout) or a backoff would show up here.
          expect(inFault.p99).toBeLessThan(1_500);
          expect(inFault.p50).toBeLessThan(Math.max(100, before.p50 * 10));
          // No hammering: never more than the per-region token bucket allows.
          expect(arrivalsDuring.length).toBeLessThanOrEqual(RATE.capacity + RATE.refillPerSecond * faultS + 3);
          // The fault was seen as what it was.
          if (fault === "throttle") {
            expect(faultDelta.throttled).toBeGreaterThan(0);
            expect(arrivalsDuring.every((a) => a.mode === "throttle")).toBe(true);
          } else {
            expect(arrivalsDuring.length).toBeGreaterThan(0);
            expect(metricsAfter.error - metricsBefore.error).toBeGreaterThan(0); // the SDK's request timeout
          }
          expect(convergeMs).toBeLessThan(60_000);
          expect(metricsAfter.success).toBeGreaterThan(metricsAtFaultOff.success);
        } finally {
          stopping = true;
          await Promise.all(workers);
        }
      } catch (error) {
        console.log(`--- ${serve.name} log (${serve.logFile}), last lines:\n${logTail(serve.logFile)}`);
        throw error;
      } finally {
        agent.destroy();
        ec2Proxy.mode = "pass";
        await serve.process.stop(10_000);
      }
    }

    it("aws-throttling: facts stay known or undetermined, admission is not slowed, EC2 is not hammered", async () => {
      await runScenario("aws-throttling", "throttle", 12_000);
    }, 180_000);

    it("aws-timeout: the same while EC2 holds every call without an answer", async () => {
      await runScenario("aws-timeout", "hang", 15_000);
    }, 180_000);
  },
  ["moto"],
);
