// bench/webhook-fixed.mjs, the fixed-answer servers `webhook-load.mjs --layers` measures our
// HTTP layers with: each answers a real AdmissionReview (allowed, uid echoed) through the
// shipped handler, with and without express, and still refuses what the handler refuses.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCertificates, writeCertificates, type CertificateBundle } from "../../src/platform/http/certificates.js";
import { openHttps } from "../helpers/https-request.js";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "s3vg-fixed-"));
let bundle: CertificateBundle;
let files: { cert: string; key: string };
const children: ChildProcess[] = [];

beforeAll(async () => {
  bundle = generateCertificates({ names: ["127.0.0.1"], days: 1 });
  files = await writeCertificates(join(dir, "pki"), bundle);
});
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function start(layer: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [join(root, "bench/webhook-fixed.mjs"), "--cert", files.cert, "--key", files.key, "--layer", layer],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  return new Promise((resolvePort, reject) => {
    child.once("exit", (code) => reject(new Error(`webhook-fixed.mjs exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const port = /"msg":"ports","port":(\d+)/.exec(line)?.[1];
      if (port) resolvePort(Number(port));
    });
  });
}

const review = JSON.stringify({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "7f0e1c2d-0000-4000-8000-000000000001",
    kind: { group: "s3.aws.upbound.io", version: "v1beta1", kind: "Bucket" },
    operation: "CREATE",
    name: "b",
    object: {
      apiVersion: "s3.aws.upbound.io/v1beta1",
      kind: "Bucket",
      metadata: { name: "b" },
      spec: { forProvider: { region: "eu-west-1" } },
    },
  },
});

describe.each(["express", "handler"])("bench/webhook-fixed.mjs --layer %s", (layer) => {
  let port: number;
  beforeAll(async () => {
    port = await start(layer);
  }, 30_000);

  it("allows a review without reviewing it and echoes its uid", async () => {
    const { request, reply } = openHttps(port, bundle.caPem, {
      method: "POST",
      path: "/validate",
      headers: { "content-type": "application/json" },
    });
    request.end(review);
    const answer = await reply;
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "7f0e1c2d-0000-4000-8000-000000000001", allowed: true },
    });
  });

  it("refuses a body that is not JSON, as the shipped handler does", async () => {
    const { request, reply } = openHttps(port, bundle.caPem, {
      method: "POST",
      path: "/validate",
      headers: { "content-type": "application/json" },
    });
    request.end("{not json");
    const answer = await reply;
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("request body is not valid JSON");
  });
});
