// @ts-check
// The webhook's HTTP layers around a fixed answer, for `node bench/webhook-load.mjs --layers`:
// the shipped server (TLS options, timeouts, handler: body limits, nesting scan, JSON.parse,
// envelope checks, metrics, answer) with a decide() that allows everything without reviewing.
// `--layer express` runs the same handler inside an express 5 app (one app.use, no ETag or
// X-Powered-By: how the server ran before 2026-12-03) on Node's https server with the same
// TLS options, to show what express would add. `--answers F` (a JSON object: "kind/name/operation"
// → the AdmissionReview serve answered, written by webhook-load.mjs --layers) answers each request
// with serve's real answer instead, still without reviewing: what the answers themselves cost
// (their size, the log lines of denials and warnings) apart from the review. Prints
// {"msg":"ports","port":N} as serve does.
//
// Usage: node bench/webhook-fixed.mjs --dist dist --cert F --key F --layer shipped|express [--answers F]
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listenHttps } from "./webhook-process.mjs";

const { values } = parseArgs({
  options: {
    dist: { type: "string", default: "dist" },
    cert: { type: "string" },
    key: { type: "string" },
    layer: { type: "string", default: "shipped" },
    answers: { type: "string" },
  },
});
if (!values.cert || !values.key)
  throw new Error("usage: node bench/webhook-fixed.mjs --cert F --key F [--layer shipped|express] [--answers F]");
const dist = resolve(import.meta.dirname, "..", values.dist);
const { startWebhookServer, createWebhookHandler } = await import(join(dist, "src/platform/http/webhook-server.js"));
const { secureOptions } = await import(join(dist, "src/platform/http/tls.js"));
const { createMetrics } = await import(join(dist, "src/platform/telemetry/metrics.js"));
const { createLogger } = await import(join(dist, "src/platform/telemetry/logging.js"));
const { admissionHandler } = await import(join(dist, "src/cli/admission-handler.js"));
const { defaultConfig } = await import(join(dist, "src/core/config.js"));
const { Inventory } = await import(join(dist, "src/core/inventory/inventory.js"));

/** @typedef {{ uid: string; kind: { kind: string }; name?: string; operation: string }} Request */
/** @param {Request} request */
const allowAll = (request) => ({
  decision: "allowed",
  findings: [],
  review: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: request.uid, allowed: true } },
});
/** @type {Record<string, { response: { allowed: boolean; warnings?: string[] } }>} */
const recorded = values.answers ? JSON.parse(await readFile(values.answers, "utf8")) : {};
/** @param {Request} request */
const recall = (request) => {
  const review = recorded[`${request.kind.kind}/${request.name}/${request.operation}`];
  if (review === undefined) return allowAll(request);
  const { response } = review;
  return {
    decision: !response.allowed ? "denied" : response.warnings?.length ? "warned" : "allowed",
    findings: [],
    review: { ...review, response: { ...response, uid: request.uid } },
  };
};
const dependencies = {
  // The shipped handler (envelope parse, nesting scan, watched kinds, limits) with decide() replaced.
  admission: {
    ...admissionHandler({ config: defaultConfig(), inventory: new Inventory(), inventoryComplete: () => true }),
    decide: values.answers ? recall : allowAll,
  },
  metrics: createMetrics(),
  logger: createLogger({ level: "info" }),
  ready: () => ({ ready: true }),
};

let port;
if (values.layer === "express") {
  const { default: express } = await import("express");
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  const handler = createWebhookHandler(dependencies);
  app.use((/** @type {import("node:http").IncomingMessage} */ req, /** @type {import("node:http").ServerResponse} */ res) =>
    handler(req, res),
  );
  port = await listenHttps(secureOptions({ cert: await readFile(values.cert), key: await readFile(values.key) }), app);
} else {
  const server = await startWebhookServer({ ...dependencies, certFile: values.cert, keyFile: values.key, port: 0, host: "127.0.0.1" });
  port = server.port;
}
process.on("SIGTERM", () => process.exit(0));
console.log(JSON.stringify({ msg: "ports", port }));
