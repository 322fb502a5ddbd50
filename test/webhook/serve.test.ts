import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseServeArgs, startService, type RunningService } from "../../src/cli/serve.js";
import { fillInventory } from "../../src/core/adapters/inventory-adapter.js";
import type { Inventory } from "../../src/core/inventory/inventory.js";
import type { Config } from "../../src/core/config.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { generateCertificates, writeCertificates, type CertificateBundle } from "../../src/platform/http/certificates.js";
import { communityEndpoint, denyUnlessEndpoint, upjetBucketPolicy } from "../helpers/manifests.js";

/** A policy that requires an endpoint id nobody has: reported only with a complete inventory. */
const unknownEndpointPolicy = upjetBucketPolicy({
  name: "needs-unknown",
  policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0fedcba9876543210"),
});

function post(port: number, ca: string, object: unknown): Promise<{ allowed: boolean; warnings?: string[] }> {
  const o = object as { apiVersion: string; kind: string; metadata: { name: string } };
  const [group, version] = o.apiVersion.split("/");
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "u-1", kind: { group, version, kind: o.kind }, operation: "CREATE", name: o.metadata.name, object },
  });
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/validate", ca, agent: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve((JSON.parse(text) as { response: { allowed: boolean; warnings?: string[] } }).response));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function readyz(port: number, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/readyz", ca, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

describe("startService --no-kube", () => {
  let dir: string;
  let bundle: CertificateBundle;
  let files: { cert: string; key: string };
  const started: RunningService[] = [];
  const options = () => ({
    tlsCert: files.cert,
    tlsKey: files.key,
    port: 0,
    metricsPort: 0,
    host: "127.0.0.1",
    noKube: true,
    readyWithoutSync: false,
  });
  const logger = createLogger({ level: "silent" });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "s3vg-serve-"));
    bundle = generateCertificates({ names: ["127.0.0.1"], days: 1 });
    files = await writeCertificates(dir, bundle);
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves with an empty, incomplete inventory: rules that need the whole cluster stay silent", async () => {
    const service = await startService(options(), { logger });
    started.push(service);
    expect(service.cluster).toBeUndefined();
    expect(service.inventory.complete).toBe(false);
    const response = await post(service.webhook.port, bundle.caPem, unknownEndpointPolicy);
    expect(response.warnings ?? []).not.toContainEqual(expect.stringContaining("unknown-endpoint-reference"));
  });

  it("with an inventory filled beforehand (as the benchmarks do), it is the complete inventory", async () => {
    const preload = (inventory: Inventory, config: Config) => {
      fillInventory([{ object: communityEndpoint({ awsId: "vpce-0123456789abcdef0" }) }], inventory, config);
      inventory.complete = true;
    };
    const service = await startService(options(), { logger, preload });
    started.push(service);
    expect(service.inventory.size).toBe(1);
    expect(service.inventory.complete).toBe(true);
    const response = await post(service.webhook.port, bundle.caPem, unknownEndpointPolicy);
    expect(response.warnings).toContainEqual(expect.stringContaining("[unknown-endpoint-reference]"));
  });

  it("refuses a filled inventory with a cluster, and a bad config with the config's message", async () => {
    await expect(startService({ ...options(), noKube: false }, { logger, preload: () => undefined })).rejects.toThrow(
      /only works with --no-kube/,
    );
    const badConfig = join(dir, "bad.yaml");
    writeFileSync(badConfig, "rules:\n  no-such-rule: { action: deny }\n");
    await expect(startService({ ...options(), configPath: badConfig }, { logger })).rejects.toThrow(/bad\.yaml/);
  });

  it("has no --preload-file flag: benchmarks fill the inventory through the library", () => {
    expect(() => parseServeArgs(["--tls-cert", "c", "--tls-key", "k", "--preload-file", "x.json"])).toThrow(/preload-file/);
  });

  it("with --shutdown-delay-ms, stop() first answers for that long, not ready, then closes", async () => {
    expect(parseServeArgs(["--tls-cert", "c", "--tls-key", "k", "--shutdown-delay-ms", "5000"]).shutdownDelayMs).toBe(5000);
    expect(() => parseServeArgs(["--tls-cert", "c", "--tls-key", "k", "--shutdown-delay-ms", "soon"])).toThrow(/--shutdown-delay-ms/);
    const service = await startService({ ...options(), shutdownDelayMs: 1_000 }, { logger });
    const port = service.webhook.port;
    const stopped = service.stop();
    expect(await readyz(port, bundle.caPem)).toBe(503);
    // What an API server sends while the pod's endpoint is still listed is reviewed as ever.
    expect((await post(port, bundle.caPem, unknownEndpointPolicy)).allowed).toBe(true);
    expect(service.webhook.server.listening).toBe(true);
    await stopped;
    expect(service.webhook.server.listening).toBe(false);
    await expect(readyz(port, bundle.caPem)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("stop() closes both ports", async () => {
    const service = await startService(options(), { logger });
    await service.stop();
    expect(service.webhook.server.listening).toBe(false);
    expect(service.metricsServer.server.listening).toBe(false);
  });
});
