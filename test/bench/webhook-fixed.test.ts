// bench/webhook-fixed.mjs, the fixed-answer servers `webhook-load.mjs --layers` measures our
// HTTP layers with: each answers a real AdmissionReview (allowed, uid echoed) through the
// shipped handler, with and without express, and still refuses what the handler refuses; with
// --answers it sends the recorded answer of serve instead.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionReviewFor, startProcess } from "../../bench/webhook-process.mjs";
import { generateCertificates, writeCertificates, type CertificateBundle } from "../../src/platform/http/certificates.js";
import { postValidate } from "../helpers/https-request.js";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "s3vg-fixed-"));
const children: ChildProcess[] = [];
/** startProcess's scratch: its logs in `dir`, its processes killed after the tests. */
const work = { dir, adopt: (child: ChildProcess) => children.push(child) };
let bundle: CertificateBundle;
let files: { cert: string; key: string };

beforeAll(async () => {
  bundle = generateCertificates({ names: ["127.0.0.1"], days: 1 });
  files = await writeCertificates(join(dir, "pki"), bundle);
});
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const UID = "7f0e1c2d-0000-4000-8000-000000000001";
const review = JSON.stringify(
  admissionReviewFor(
    { apiVersion: "s3.aws.upbound.io/v1beta1", kind: "Bucket", metadata: { name: "b" }, spec: { forProvider: { region: "eu-west-1" } } },
    "CREATE",
    null,
    UID,
  ),
);

const validate = (port: number, body: string) => postValidate(port, bundle.caPem, body);

describe.each(["express", "handler"])("bench/webhook-fixed.mjs --layer %s", (layer) => {
  let port: number;
  beforeAll(async () => {
    const started = await startProcess(work, `fixed-${layer}`, [
      join(root, "bench/webhook-fixed.mjs"),
      ...["--cert", files.cert, "--key", files.key, "--layer", layer],
    ]);
    port = started.port;
  }, 30_000);

  it("allows a review without reviewing it and echoes its uid", async () => {
    const answer = await validate(port, review);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: UID, allowed: true },
    });
  });

  it("refuses a body that is not JSON, as the shipped handler does", async () => {
    const answer = await validate(port, "{not json");
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("request body is not valid JSON");
  });
});

describe("bench/webhook-fixed.mjs --answers (serve's recorded answers, sent without reviewing)", () => {
  const denied = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid: "recorded-uid", allowed: false, status: { code: 403, reason: "Forbidden", message: "s3-vpce-guard denied Bucket b" } },
  };
  let port: number;
  beforeAll(async () => {
    const answers = join(dir, "answers.json");
    writeFileSync(answers, JSON.stringify({ "Bucket/b/CREATE": denied }));
    const started = await startProcess(work, "fixed-recorded", [
      join(root, "bench/webhook-fixed.mjs"),
      ...["--cert", files.cert, "--key", files.key, "--layer", "shipped", "--answers", answers],
    ]);
    port = started.port;
  }, 30_000);

  it("sends the answer recorded for the request's kind, name and operation, with the request's uid", async () => {
    const answer = await validate(port, review);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ ...denied, response: { ...denied.response, uid: UID } });
  });

  it("allows a request it has no answer for", async () => {
    const update = JSON.stringify({ ...JSON.parse(review), request: { ...JSON.parse(review).request, operation: "UPDATE" } });
    const answer = await validate(port, update);
    expect(answer.json()).toEqual({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: UID, allowed: true } });
  });
});
