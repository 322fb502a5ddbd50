import { mkdtempSync, rmSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_FAMILIES, normalReview, REVIEW_FAMILIES } from "../../bench/adversarial.mjs";
import { adapt } from "../../src/core/adapters/index.js";
import { adapterContext } from "../../src/core/adapters/inventory-adapter.js";
import { review } from "../../src/core/engine/engine.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { decide, MAX_DENY_MESSAGE_LINES, MAX_WARNINGS, parseAdmissionReview } from "../../src/app/admission.js";
import { generateCertificates, writeCertificates, type CertificateBundle } from "../../src/platform/http/certificates.js";
import { startWebhookServer, type WebhookServer } from "../../src/platform/http/webhook-server.js";
import { admissionHandler } from "../../src/cli/admission-handler.js";
import { config } from "../helpers/check.js";
import { openHttps, type Reply } from "../helpers/https-request.js";
import { overBudgetEndpoint } from "../helpers/manifests.js";

// Every adversarial input of the issue "No input can stall or kill the webhook", and our own,
// against a running server while a small normal review is in flight beside each: both get
// well-formed answers of bounded size. Asserts on outcomes and work counters, never on time.

/** The largest answer any review may give: bounded warnings, a bounded deny message, a uid. */
const MAX_RESPONSE_BYTES = 16 * 1024;
const MAX_LOG_LINE_BYTES = 8 * 1024;
const MAX_CONNECTIONS = 8;

describe("adversarial inputs against a running webhook", () => {
  let dir: string;
  let bundle: CertificateBundle;
  let server: WebhookServer;
  const metrics = createMetrics({ processMetrics: false });
  const logStream = new PassThrough();
  let logText = "";
  logStream.on("data", (chunk: Buffer) => (logText += chunk.toString()));

  const openValidate = (headers: Record<string, string | number>) =>
    openHttps(server.port, bundle.caPem, {
      method: "POST",
      path: "/validate",
      headers: { "content-type": "application/json", ...headers },
    });
  const post = (body: string, headers: Record<string, string | number> = {}): Promise<Reply> => {
    const { request, reply } = openValidate(headers);
    request.end(body);
    return reply;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "s3vg-adversarial-"));
    bundle = generateCertificates({ names: ["localhost", "127.0.0.1"], days: 2 });
    const files = await writeCertificates(dir, bundle);
    server = await startWebhookServer({
      certFile: files.cert,
      keyFile: files.key,
      port: 0,
      host: "127.0.0.1",
      admission: admissionHandler({ config: config(), inventory: new Inventory(), inventoryComplete: () => true }),
      metrics,
      logger: createLogger({ destination: logStream, level: "debug" }),
      ready: () => ({ ready: true }),
      handshakeTimeoutMs: 300,
      maxConnections: MAX_CONNECTIONS,
    });
  });

  afterAll(async () => {
    await server?.close(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  const wellFormed = (reply: Reply, uid: string) => {
    expect(reply.status).toBe(200);
    expect(Buffer.byteLength(reply.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const review = JSON.parse(reply.body) as {
      apiVersion: string;
      kind: string;
      response: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[] };
    };
    expect(review).toMatchObject({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid, allowed: expect.any(Boolean) },
    });
    if (!review.response.allowed) {
      expect(review.response.status?.code).toBe(403);
      expect(review.response.status!.message.split("\n").length).toBeLessThanOrEqual(MAX_DENY_MESSAGE_LINES);
    }
    expect((review.response.warnings ?? []).length).toBeLessThanOrEqual(MAX_WARNINGS);
    return review.response;
  };

  it.each(Object.keys(REVIEW_FAMILIES))("%s: a well-formed, bounded answer, and the normal review beside it too", async (family) => {
    const make = REVIEW_FAMILIES[family]!;
    const [adversarial, normal] = await Promise.all([post(make(1)), post(normalReview(1))]);
    const normalResponse = wellFormed(normal, "normal-1");
    expect(normalResponse.allowed).toBe(true);
    if (family === "huge-object-name" || family === "deep-spec-field") {
      // request.name over Kubernetes' limit, or a body nested deeper than MAX_BODY_DEPTH:
      // refused as not from an API server, without echo.
      expect(adversarial.status).toBe(400);
      expect(adversarial.body.length).toBeLessThan(300);
      return;
    }
    wellFormed(adversarial, "adv-1");
  });

  it("the ReDoS shapes and oversized patterns are decided, not timed out: deny for invalid patterns", async () => {
    for (const family of [
      "resource-24-stars",
      "action-1000-stars",
      "resource-700kb",
      "policy-1m-deep",
      "many-long-patterns",
      "policy-over-size-limit",
    ] as const) {
      const response = wellFormed(await post(REVIEW_FAMILIES[family]!(2)), "adv-2");
      expect(response.allowed, family).toBe(false);
      expect(response.status!.message, family).toContain("[policy-invalid]");
    }
    const deep = wellFormed(await post(REVIEW_FAMILIES["policy-1m-deep"]!(3)), "adv-3");
    expect(deep.status!.message).toMatch(/more than 32 levels deep/);
    expect(deep.status!.message).not.toContain("RangeError");
  });

  it("a review needing more than limits.workSteps ends 'not checked', allowed with a warning by default, and is counted", async () => {
    const before = (await metrics.reviewLimitExceeded.get()).values.reduce((sum, v) => sum + v.value, 0);
    const response = wellFormed(await post(REVIEW_FAMILIES["action-list-of-numbers"]!(4)), "adv-4");
    expect(response.allowed).toBe(true);
    expect(response.warnings!.join("\n")).toMatch(/not checked: object too complex; it needs more than the work limit of 2000000 steps/);
    const after = await metrics.reviewLimitExceeded.get();
    expect(after.values.find((v) => v.labels.decision === "allowed")?.value).toBe(before + 1);
  });

  it.each(Object.keys(HTTP_FAMILIES))("%s: refused by the HTTP layer without echoing the body", async (family) => {
    const { status, body, declaredLength } = HTTP_FAMILIES[family]!(1) as { status: number; body: string; declaredLength?: number };
    let reply: Reply;
    if (declaredLength !== undefined) {
      // Headers only: the body never comes, and the answer must not wait for it.
      const { request, reply: replied } = openValidate({ "content-length": declaredLength });
      request.flushHeaders();
      reply = await replied;
      request.destroy();
    } else {
      reply = await post(body);
    }
    expect(reply.status).toBe(status);
    expect(reply.body.length).toBeLessThan(400);
    expect(reply.body).not.toContain("AKIA");
    expect(reply.body).not.toContain("uuuuuuuu");
    const [normal] = await Promise.all([post(normalReview(2))]);
    wellFormed(normal, "normal-2");
  });

  it("connections that never start TLS are closed by the handshake timeout, and never more than maxConnections are held", async () => {
    const sockets = Array.from({ length: MAX_CONNECTIONS * 3 }, () => netConnect(server.port, "127.0.0.1"));
    const closed = await Promise.all(
      sockets.map((socket) => new Promise<boolean>((resolve) => socket.on("close", () => resolve(true)).on("error", () => undefined))),
    );
    expect(closed.every(Boolean)).toBe(true);
    wellFormed(await post(normalReview(3)), "normal-3");
  });

  it("no log line grows with the input, and no body bytes reach the log", () => {
    const lines = logText.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    expect(logText).not.toContain("AKIA");
  });
});

describe("adversarial inputs, decided directly (work counters)", () => {
  const decideBody = (body: string, cfg = config()) => {
    const parsed = parseAdmissionReview(JSON.parse(body));
    if (!parsed.ok) throw new Error(parsed.message);
    return decide(parsed.request, { config: cfg, inventory: new Inventory(), inventoryComplete: true });
  };

  it.each(Object.keys(REVIEW_FAMILIES).filter((family) => family !== "huge-object-name"))(
    "%s stays within the work limit or is answered 'not checked'",
    (family) => {
      const result = decideBody(REVIEW_FAMILIES[family]!(5));
      const limit = config().limits.workSteps;
      if (result.limitExceeded) expect(result.findings.some((f) => f.message.includes("not checked"))).toBe(true);
      else expect(result.workSteps).toBeLessThanOrEqual(limit);
    },
  );

  it("the ReDoS shapes cost a few thousand steps at most (they took seconds before)", () => {
    for (const family of [
      "resource-24-stars",
      "bucket-glob-stars",
      "consumer-long-region",
      "action-stars-and-questions",
      "action-1000-stars",
    ] as const) {
      expect(decideBody(REVIEW_FAMILIES[family]!(6)).workSteps, family).toBeLessThan(5_000);
    }
  });

  it("limits.onExceeded: deny answers 403 with the reason", () => {
    const result = decideBody(REVIEW_FAMILIES["action-list-of-numbers"]!(7), config({ limits: { onExceeded: "deny" } }));
    expect(result.limitExceeded).toBe(true);
    expect(result.decision).toBe("denied");
    expect(result.review.response.status?.message).toMatch(/\[policy-invalid\] not checked: object too complex/);
  });

  it("a budget that runs out inside the rules (not the parse) ends the same way", () => {
    // Adapted (and its policy parsed) outside any budget; only the review is bounded.
    const endpoint = overBudgetEndpoint();
    const cfg = config({ limits: { workSteps: 10_000 } });
    const adapted = adapt(endpoint, adapterContext(new Inventory(), cfg));
    if (adapted.status !== "adapted") throw new Error("not adapted");
    const findings = review(
      { subject: adapted.object, mode: "admission", operation: "CREATE", inventoryComplete: true },
      { config: cfg, inventory: new Inventory() },
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: "policy-invalid", action: "warn", path: "spec.forProvider.policy" });
    expect(findings[0]!.message).toMatch(
      /not checked: policy too complex \(250 statements, 500 conditions\); it needs more than the work limit of 10000 steps \(ran out while /,
    );
  });
});
