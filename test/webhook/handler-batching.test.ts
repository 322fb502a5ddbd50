import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { admissionHandler } from "../../src/cli/admission-handler.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { createWebhookHandler, type AdmissionHandler } from "../../src/platform/http/webhook-server.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import type { AdmissionRequest } from "../../src/app/admission.js";
import { config } from "../helpers/check.js";
import { upjetBucketPolicy } from "../helpers/manifests.js";

/** What the handler reads of a request: headers, then the body as events. */
class FakeRequest extends EventEmitter {
  readonly method = "POST";
  readonly url = "/validate";
  readonly socket = { remoteAddress: "127.0.0.1", destroySoon: () => undefined };
  constructor(readonly headers: Record<string, string>) {
    super();
  }
  resume(): void {}
}

/** What the handler writes of an answer: one writeHead and one end. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  status = 0;
  body = "";
  constructor(private readonly onEnd: (response: FakeResponse) => void) {
    super();
  }
  writeHead(status: number): this {
    this.status = status;
    this.headersSent = true;
    return this;
  }
  end(text: string): void {
    this.body = text;
    this.onEnd(this);
  }
}

function reviewBody(uid: string): string {
  const object = upjetBucketPolicy({ name: uid, bucket: "shared-bucket", policy: { Version: "2012-10-17", Statement: [] } });
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "s3.aws.upbound.io", version: "v1beta1", kind: "BucketPolicy" },
      operation: "CREATE",
      name: uid,
      object,
    },
  });
}

/** Hands `handle` one review's request, its body in one chunk; `onEnd` hears of the answer. */
function deliver(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  uid: string,
  onEnd: (response: FakeResponse) => void,
): FakeResponse {
  const body = reviewBody(uid);
  const req = new FakeRequest({ "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
  const res = new FakeResponse(onEnd);
  handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  req.emit("data", Buffer.from(body));
  req.emit("end");
  return res;
}

describe("webhook handler: reviews of one turn", () => {
  function handlerRecording(events: string[], failOn?: string) {
    const real = admissionHandler({ config: config(), inventory: new Inventory(), inventoryComplete: () => true });
    const admission: AdmissionHandler<AdmissionRequest> = {
      ...real,
      decide: (request) => {
        events.push(`decide ${request.uid}`);
        if (request.uid === failOn) throw new Error("engine bug");
        return real.decide(request);
      },
    };
    const handle = createWebhookHandler({
      admission,
      metrics: createMetrics({ inventoryCounts: () => [] }),
      logger: createLogger({ destination: new PassThrough(), level: "info" }),
      ready: () => ({ ready: true }),
    });
    return (uid: string): FakeResponse => deliver(handle, uid, () => events.push(`answer ${uid}`));
  }

  it("decides bodies completed in one turn after that turn, back to back, each answered with its own uid", async () => {
    const events: string[] = [];
    const send = handlerRecording(events);
    const answers = ["uid-1", "uid-2", "uid-3"].map((uid) => send(uid));
    // Nothing is decided inside the socket callbacks that completed the bodies.
    expect(events).toEqual([]);
    await nextTurn();
    expect(events).toEqual(["decide uid-1", "answer uid-1", "decide uid-2", "answer uid-2", "decide uid-3", "answer uid-3"]);
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).response.uid).toBe(`uid-${i + 1}`);
    }
  });

  it("answers the other reviews of a turn when one of them fails", async () => {
    const events: string[] = [];
    const send = handlerRecording(events, "uid-2");
    const answers = ["uid-1", "uid-2", "uid-3"].map((uid) => send(uid));
    await nextTurn();
    expect(answers.map((res) => res.status)).toEqual([200, 500, 200]);
    expect(JSON.parse(answers[1]!.body).message).toContain("internal error while reviewing BucketPolicy uid-2");
  });
});

describe("webhook handler: findings counted", () => {
  it("counts every finding once per rule and action, runs and interleaved ones alike", async () => {
    const real = admissionHandler({ config: config(), inventory: new Inventory(), inventoryComplete: () => true });
    const finding = (rule: string, action: string) => ({ rule, action });
    const findings = [
      finding("source-ip-condition", "deny"),
      finding("source-ip-condition", "deny"),
      finding("source-ip-condition", "deny"),
      finding("source-ip-condition", "warn"),
      finding("policy-invalid", "deny"),
      finding("source-ip-condition", "deny"),
    ];
    const admission: AdmissionHandler<AdmissionRequest> = {
      ...real,
      decide: (request) => ({ ...real.decide(request), findings }),
    };
    const metrics = createMetrics({ inventoryCounts: () => [] });
    const handle = createWebhookHandler({
      admission,
      metrics,
      logger: createLogger({ destination: new PassThrough(), level: "info" }),
      ready: () => ({ ready: true }),
    });
    for (const uid of ["uid-1", "uid-2"]) deliver(handle, uid, () => undefined);
    await nextTurn();
    const counted = (await metrics.admissionFindings.get()).values.map(({ labels, value }) => [labels.rule, labels.action, value]);
    expect(counted).toEqual(
      expect.arrayContaining([
        ["source-ip-condition", "deny", 8],
        ["source-ip-condition", "warn", 2],
        ["policy-invalid", "deny", 2],
      ]),
    );
    expect(counted.reduce((sum, [, , value]) => sum + Number(value), 0)).toBe(12);
  });
});
