import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { connect as tlsConnect, type PeerCertificate } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { startMetricsServer, type MetricsServer } from "../../src/platform/http/metrics-server.js";
import { generateCertificates, writeCertificates, type CertificateBundle } from "../../src/platform/http/certificates.js";
import { startWebhookServer, type WebhookServer } from "../../src/platform/http/webhook-server.js";
import { admissionHandler } from "../../src/cli/admission-handler.js";
import { config } from "../helpers/check.js";
import { collect, openHttps, type Reply } from "../helpers/https-request.js";
import { upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const secretPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "TopSecretStatementMarker",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::my-secure-bucket/*",
      Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
    },
  ],
};

function review(object: unknown, uid = "11111111-2222-3333-4444-555555555555"): string {
  const o = object as { apiVersion: string; kind: string; metadata: { name: string } };
  const [group, version] = o.apiVersion.split("/");
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: o.kind },
      name: o.metadata.name,
      operation: "CREATE",
      object,
      oldObject: null,
      dryRun: false,
    },
  });
}

describe("webhook server over HTTPS", () => {
  let dir: string;
  let bundle: CertificateBundle;
  let files: { ca: string; cert: string; key: string };
  let server: WebhookServer;
  let metricsServer: MetricsServer;
  let ready = { ready: false, reason: "waiting for the first inventory sync" };
  const logStream = new PassThrough();
  let logText = "";
  logStream.on("data", (chunk: Buffer) => (logText += chunk.toString()));
  const metrics = createMetrics({ inventoryCounts: () => [["Endpoint", 3]] });
  /** The log rate limiter's clock (ms): stands still unless a test moves it. */
  let clockMs = 0;

  const open = (options: RequestOptions) => openHttps(server.port, bundle.caPem, options);
  const call = (method: string, path: string, body?: string | Buffer, extra: RequestOptions = {}): Promise<Reply> => {
    const { request, reply } = open({ method, path, headers: { "content-type": "application/json" }, ...extra });
    request.end(body);
    return reply;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "s3vg-webhook-"));
    bundle = generateCertificates({ names: ["localhost", "127.0.0.1"], days: 2 });
    files = await writeCertificates(dir, bundle);
    server = await startWebhookServer({
      certFile: files.cert,
      keyFile: files.key,
      port: 0,
      host: "127.0.0.1",
      admission: admissionHandler({ config: config(), inventory: new Inventory(), inventoryComplete: () => false }),
      metrics,
      logger: createLogger({ destination: logStream, level: "info" }),
      ready: () => ready,
      tlsPollMs: 200,
      timeBudgetMs: 400,
      now: () => clockMs,
    });
    metricsServer = await startMetricsServer(metrics.registry, 0, "127.0.0.1");
  });

  afterAll(async () => {
    await server?.close(1000);
    await metricsServer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("denies a violating BucketPolicy with 200 + AdmissionReview allowed:false", async () => {
    const reply = await call("POST", "/validate", review(upjetBucketPolicy({ policy: secretPolicy })));
    expect(reply.status).toBe(200);
    const response = reply.json().response as { uid: string; allowed: boolean; status: { code: number; message: string } };
    expect(response.uid).toBe("11111111-2222-3333-4444-555555555555");
    expect(response.allowed).toBe(false);
    expect(response.status.code).toBe(403);
    expect(response.status.message).toContain("[source-ip-condition]");
  });

  it("counts every finding of every review by rule and action", async () => {
    const denials = async () => {
      const { values } = await metrics.admissionFindings.get();
      return values.find((v) => v.labels.rule === "source-ip-condition" && v.labels.action === "deny")?.value ?? 0;
    };
    const before = await denials();
    await call("POST", "/validate", review(upjetBucketPolicy({ policy: secretPolicy }), "count-1"));
    const once = (await denials()) - before;
    expect(once).toBeGreaterThan(0);
    await call("POST", "/validate", review(upjetBucketPolicy({ policy: secretPolicy }), "count-2"));
    await call("POST", "/validate", review(upjetBucketPolicy({ policy: secretPolicy }), "count-3"));
    expect((await denials()) - before).toBe(3 * once);
  });

  it("admits a warn-only endpoint with warnings", async () => {
    const reply = await call("POST", "/validate", review(upjetEndpoint(), "warn-uid"));
    const response = reply.json().response as { allowed: boolean; warnings: string[] };
    expect(response.allowed).toBe(true);
    expect(response.warnings.length).toBeGreaterThan(0);
  });

  it("logs uid, kind, name, operation and decision, never the policy", async () => {
    await call("POST", "/validate", review(upjetBucketPolicy({ policy: secretPolicy }), "log-uid"));
    const line = logText.split("\n").find((l) => l.includes('"log-uid"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      uid: "log-uid",
      kind: "BucketPolicy",
      name: "my-secure-bucket-policy",
      operation: "CREATE",
      decision: "denied",
      level: "info",
    });
    expect(logText).not.toContain("TopSecretStatementMarker");
  });

  it("names each rule and action once in the log line, with the number of findings", async () => {
    const statement = secretPolicy.Statement[0]!;
    const policy = {
      ...secretPolicy,
      Statement: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((range, i) => ({
        ...statement,
        Sid: `Private${i}`,
        Condition: { IpAddress: { "aws:SourceIp": range } },
      })),
    };
    const counted = async () => (await metrics.admissionFindings.get()).values.reduce((sum, v) => sum + v.value, 0);
    const before = await counted();
    await call("POST", "/validate", review(upjetBucketPolicy({ policy }), "summary-uid"));
    const found = (await counted()) - before;
    expect(found).toBeGreaterThanOrEqual(3);
    const line = JSON.parse(logText.split("\n").find((l) => l.includes('"summary-uid"'))!) as { rules: string[]; findings: number };
    expect(line.findings).toBe(found);
    expect(line.rules).toContain("source-ip-condition:deny");
    expect(new Set(line.rules).size).toBe(line.rules.length);
  });

  it("keeps metric labels bounded: a kind we do not watch counts as other", async () => {
    for (let i = 0; i < 20; i++) {
      const body = JSON.parse(review(upjetEndpoint(), `label-${i}`)) as { request: { kind: { kind: string } } };
      body.request.kind.kind = `Fuzzed${i}`;
      expect((await call("POST", "/validate", JSON.stringify(body))).status).toBe(200);
    }
    const text = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: metricsServer.port, path: "/metrics" }, (res) =>
        collect(res).then((r) => resolve(r.body), reject),
      )
        .on("error", reject)
        .end();
    });
    expect(text).not.toContain("Fuzzed");
    const counted = [...text.matchAll(/^s3_vpce_guard_admission_requests_total\{kind="other",operation="CREATE",decision="\w+"\} (\d+)/gm)];
    expect(counted.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(20);
  });

  it("refuses bodies over the limit with 413 and a JSON message", async () => {
    const huge = Buffer.alloc(3 * 1024 * 1024 + 10, 0x20);
    const reply = await call("POST", "/validate", huge);
    expect(reply.status).toBe(413);
    expect(reply.json().message).toMatch(/larger than the limit of 3145728 bytes/);
  });

  it("refuses a body without a declared length once it passes the limit, with 413, and closes the connection", async () => {
    const { request, reply: replied } = open({ method: "POST", path: "/validate", headers: { "transfer-encoding": "chunked" } });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    for (let i = 0; i < 4; i++) request.write(chunk);
    request.end();
    const reply = await replied;
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe("close");
    expect(reply.json().message).toMatch(/larger than the limit of 3145728 bytes/);
  });

  it("refuses a compressed body with 415", async () => {
    const reply = await call("POST", "/validate", review(upjetEndpoint()), {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
    });
    expect(reply.status).toBe(415);
    expect(reply.json().message).toMatch(/UTF-8 JSON without Content-Encoding/);
  });

  it("answers malformed JSON with 400", async () => {
    const reply = await call("POST", "/validate", '{"apiVersion": "admission.k8s.io/v1", ');
    expect(reply.status).toBe(400);
    expect(reply.json().message).toMatch(/not valid JSON/);
  });

  it("logs a flood of malformed requests at most 10 lines a second, and answers every one", async () => {
    const floodLines = () => logText.split("\n").filter((l) => l.includes("malformed AdmissionReview"));
    clockMs += 1000; // a fresh second: earlier tests' rejections do not count against it
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => call("POST", "/validate", JSON.stringify({ apiVersion: "flood-marker", i }))),
    );
    expect(replies.every((r) => r.status === 400)).toBe(true);
    expect(floodLines()).toHaveLength(10);
    clockMs += 1000;
    expect((await call("POST", "/validate", JSON.stringify({ apiVersion: "flood-marker" }))).status).toBe(400);
    const lines = floodLines();
    expect(lines).toHaveLength(11);
    expect(JSON.parse(lines[10]!)).toMatchObject({ suppressedSinceLast: 30 });
  });

  it("answers a wrong apiVersion with 400 naming the expected one", async () => {
    const body = JSON.parse(review(upjetEndpoint())) as Record<string, unknown>;
    const reply = await call("POST", "/validate", JSON.stringify({ ...body, apiVersion: "admission.k8s.io/v1beta1" }));
    expect(reply.status).toBe(400);
    expect(reply.json().message).toMatch(/expected apiVersion admission\.k8s\.io\/v1/);
  });

  it("answers unknown paths with 404", async () => {
    expect((await call("GET", "/nope")).status).toBe(404);
  });

  it("answers a stalled body with 503 within the time budget instead of hanging", async () => {
    const { request, reply: replied } = open({ method: "POST", path: "/validate", headers: { "content-length": "1000" } });
    request.write('{"apiVersion":');
    const reply = await replied;
    expect(reply.status).toBe(503);
    expect(reply.json().message).toMatch(/400 ms time budget/);
  });

  it("serves /healthz, and /readyz follows readiness", async () => {
    expect((await call("GET", "/healthz")).status).toBe(200);
    const notReady = await call("GET", "/readyz");
    expect(notReady.status).toBe(503);
    expect(notReady.json()).toEqual({ ready: false, reason: "waiting for the first inventory sync" });
    ready = { ready: true, reason: "" };
    expect((await call("GET", "/readyz")).status).toBe(200);
  });

  it("refuses TLS 1.1 and accepts TLS 1.2 with a forward-secret AEAD cipher", async () => {
    const handshake = (options: { minVersion: "TLSv1" | "TLSv1.2"; maxVersion: "TLSv1.1" | "TLSv1.2"; ciphers?: string }) =>
      new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
        const socket = tlsConnect({ host: "127.0.0.1", port: server.port, ca: bundle.caPem, servername: "localhost", ...options }, () => {
          const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
          socket.end();
          resolve(result);
        });
        socket.on("error", reject);
      });
    await expect(handshake({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" })).rejects.toThrow(
      /version|protocol/i,
    );
    const ok = await handshake({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    expect(ok.protocol).toBe("TLSv1.2");
    expect(ok.cipher).toMatch(/^ECDHE-.*(GCM|CHACHA20)/);
  });

  it("reloads the certificate when the files change: new connections see the new one", async () => {
    const peer = () =>
      new Promise<PeerCertificate>((resolve, reject) => {
        const socket = tlsConnect({ host: "127.0.0.1", port: server.port, rejectUnauthorized: false }, () => {
          const cert = socket.getPeerCertificate();
          socket.end();
          resolve(cert);
        });
        socket.on("error", reject);
      });
    const before = await peer();
    expect(before.fingerprint256).toBe(new X509Certificate(bundle.certPem).fingerprint256);
    const next = generateCertificates({ names: ["localhost", "127.0.0.1"], days: 2 });
    // Key first, then cert: in between the pair does not match and must not be applied.
    writeFileSync(files.key, next.keyPem);
    await new Promise((r) => setTimeout(r, 300));
    expect((await peer()).fingerprint256).toBe(before.fingerprint256);
    writeFileSync(files.cert, next.certPem);
    const deadline = Date.now() + 5000;
    let seen = before.fingerprint256;
    while (seen === before.fingerprint256 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = (await peer()).fingerprint256;
    }
    expect(seen).toBe(new X509Certificate(next.certPem).fingerprint256);
    bundle = next; // later tests verify against the new CA
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  it("exposes every SPEC metric on the metrics port, and only /metrics", async () => {
    const get = (path: string) =>
      new Promise<Reply>((resolve, reject) => {
        httpRequest({ host: "127.0.0.1", port: metricsServer.port, path }, (res) => collect(res).then(resolve, reject))
          .on("error", reject)
          .end();
      });
    const reply = await get("/metrics");
    expect(reply.status).toBe(200);
    for (const name of [
      "s3_vpce_guard_violations",
      "s3_vpce_guard_admission_requests_total",
      "s3_vpce_guard_admission_duration_seconds",
      "s3_vpce_guard_admission_findings_total",
      "s3_vpce_guard_audit_duration_seconds",
      "s3_vpce_guard_audit_last_success_timestamp_seconds",
      "s3_vpce_guard_inventory_resources",
      "s3_vpce_guard_watch_restarts_total",
      "s3_vpce_guard_aws_requests_total",
      "s3_vpce_guard_leader",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(reply.body, name).toContain(`# TYPE ${name} `);
    }
    expect(reply.body).toContain('s3_vpce_guard_admission_requests_total{kind="BucketPolicy",operation="CREATE",decision="denied"}');
    expect(reply.body).toContain('s3_vpce_guard_admission_requests_total{kind="VPCEndpoint",operation="CREATE",decision="warned"}');
    expect(reply.body).toMatch(/s3_vpce_guard_admission_requests_total\{kind="unknown",operation="unknown",decision="error"\} [1-9]/);
    expect(reply.body).toContain('s3_vpce_guard_admission_findings_total{rule="source-ip-condition",action="deny"}');
    expect(reply.body).toContain('s3_vpce_guard_admission_duration_seconds_bucket{le="0.005",kind="BucketPolicy",operation="CREATE"}');
    expect(reply.body).toContain('s3_vpce_guard_inventory_resources{kind="Endpoint"} 3');
    expect((await get("/validate")).status).toBe(404);
  });

  it("close() finishes an in-flight request, refuses new connections and resolves", async () => {
    const payload = review(upjetEndpoint(), "inflight-uid");
    const half = Math.floor(payload.length / 2);
    const arrived = new Promise((resolve) => server.server.once("request", resolve));
    const { request: req, reply: replyPromise } = open({
      method: "POST",
      path: "/validate",
      headers: { "content-length": String(Buffer.byteLength(payload)) },
    });
    req.write(payload.slice(0, half));
    await arrived;
    const closed = server.close(5000);
    expect((await call("GET", "/healthz").catch((e: Error) => e)) instanceof Error).toBe(true);
    req.end(payload.slice(half));
    const reply = await replyPromise;
    expect(reply.status).toBe(200);
    expect((reply.json().response as { uid: string }).uid).toBe("inflight-uid");
    await closed;
  });
});
