// bench/webhook-worker.mjs, the `webhook-load.mjs --layers --worker-row` server that reviews on a
// worker thread: its answers must be serve's (the same handler over the same inventory), each
// sent to the request it answers when a turn's requests go to the worker together.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denyUnlessEndpoint, endpointManifest, vpce } from "../../bench/corpus.mjs";
import { admissionReviewFor, inProcessAdmission, startProcess } from "../../bench/webhook-process.mjs";
import { generateCertificates, writeCertificates, type CertificateBundle } from "../../src/platform/http/certificates.js";
import { postValidate } from "../helpers/https-request.js";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "s3vg-worker-"));
const children: ChildProcess[] = [];
const work = { dir, adopt: (child: ChildProcess) => children.push(child) };
let bundle: CertificateBundle;
let port: number;

const inventory = [
  endpointManifest(1),
  {
    apiVersion: "s3.aws.upbound.io/v1beta2",
    kind: "Bucket",
    metadata: { name: "bench-bucket-1" },
    spec: { forProvider: { region: "us-east-1" } },
  },
];
const policyReview = (uid: string, extraCondition: Record<string, unknown>) => {
  const policy = denyUnlessEndpoint("bench-bucket-1", vpce(1));
  policy.Statement.push({
    Sid: "Readers",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::123456789012:role/reader" },
    Action: ["s3:GetObject"],
    Resource: "arn:aws:s3:::bench-bucket-1/*",
    Condition: { StringEquals: { "aws:SourceVpce": vpce(1) }, ...extraCondition },
  });
  return JSON.stringify(
    admissionReviewFor(
      {
        apiVersion: "s3.aws.upbound.io/v1beta1",
        kind: "BucketPolicy",
        metadata: { name: "bench-bucket-1-policy" },
        spec: { forProvider: { region: "us-east-1", bucket: "bench-bucket-1", policy: JSON.stringify(policy) } },
      },
      "CREATE",
      null,
      uid,
    ),
  );
};

beforeAll(async () => {
  bundle = generateCertificates({ names: ["127.0.0.1"], days: 1 });
  const files = await writeCertificates(join(dir, "pki"), bundle);
  const inventoryFile = join(dir, "inventory.json");
  writeFileSync(inventoryFile, JSON.stringify({ apiVersion: "v1", kind: "List", items: inventory }));
  const started = await startProcess(work, "worker", [
    join(root, "bench/webhook-worker.mjs"),
    ...["--cert", files.cert, "--key", files.key, "--preload-file", inventoryFile],
  ]);
  port = started.port;
}, 30_000);
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const validate = (body: string) => postValidate(port, bundle.caPem, body);

describe("bench/webhook-worker.mjs (serve's review on a worker thread)", () => {
  it("answers as serve's handler does over the same inventory, each request with its own answer", async () => {
    const handler = await inProcessAdmission("dist", inventory);
    const bodies = Array.from({ length: 6 }, (_, i) =>
      policyReview(`uid-${i}`, i % 2 === 0 ? { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } : {}),
    );
    const expected = bodies.map((body) => {
      const parsed = handler.parse(JSON.parse(body));
      if (!parsed.ok) throw new Error(parsed.message);
      return handler.decide(parsed.request).review;
    });
    // Sent together, so that several arrive in one turn and go to the worker as one batch.
    const answers = await Promise.all(bodies.map((body) => validate(body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.json())).toEqual(expected);
    expect(answers.map((a) => (a.json() as { response: { allowed: boolean } }).response.allowed)).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it("refuses a body that is not JSON and keeps answering", async () => {
    const refused = await validate("{not json");
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("not valid JSON");
    expect((await validate(policyReview("after", {}))).status).toBe(200);
  });
});
