// @ts-check
// Serve's review on a worker thread, for `node bench/webhook-load.mjs --layers --worker-row`: is a
// second thread worth its memory? The main thread keeps TLS, HTTP, the body read, metrics and
// log lines; each event-loop turn's bodies go to one worker as a batch, which holds its own copy
// of the inventory and runs serve's admission handler (nesting scan, JSON.parse, envelope,
// review, stringified answer) on them, as the shipped server does in its turn batch.
// Bench only, not the product: the shipped serve feeds one inventory from its watches, and a
// worker would need those events forwarded (and its own copy of the objects, about 50 MB at 10k).
// Prints {"msg":"ports","port":N} as serve does.
//
// Usage: node bench/webhook-worker.mjs --dist dist --cert F --key F --preload-file F.json [...]
import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setImmediate } from "node:timers";
import { parseArgs } from "node:util";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { inProcessAdmission, listenHttps, objectsFromFiles } from "./webhook-process.mjs";

/** @typedef {{ status: number; body: string; decision?: string; rules?: string[]; findings?: number; request?: Record<string, unknown> }} Answer */

/** Worker side: the inventory from the files, then batches of bodies in, answers out. */
async function reviewer() {
  const { dist, files } = /** @type {{ dist: string; files: string[] }} */ (workerData);
  const { MAX_BODY_DEPTH } = await import(join(dist, "src/platform/http/webhook-server.js"));
  const handler = await inProcessAdmission(dist, objectsFromFiles(files));
  const message = (/** @type {string} */ text) => JSON.stringify({ message: text });
  /** @returns {Answer} */
  const answer = (/** @type {string} */ text) => {
    if (handler.nestingBeyond(text, MAX_BODY_DEPTH) !== undefined) return { status: 400, body: message("request body nests too deep") };
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 400, body: message("request body is not valid JSON") };
    }
    const parsed = handler.parse(body);
    if (!parsed.ok) return { status: 400, body: message(parsed.message) };
    const result = handler.decide(parsed.request);
    const rules = [...new Set(result.findings.map((/** @type {{ rule: string; action: string }} */ f) => `${f.rule}:${f.action}`))];
    const { uid, kind, operation, namespace, name } = parsed.request;
    const request = { uid, kind: kind.kind, operation, namespace: namespace ?? null, name: name ?? null };
    return {
      status: 200,
      body: JSON.stringify(result.review),
      decision: result.decision,
      rules,
      findings: result.findings.length,
      request,
    };
  };
  const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);
  port.on("message", (/** @type {string[]} */ batch) => port.postMessage(batch.map(answer)));
  port.postMessage("ready");
}

/** Main side: the shipped TLS options, a body read per request, a batch to the worker per turn. */
async function server() {
  const { values } = parseArgs({
    options: {
      dist: { type: "string", default: "dist" },
      cert: { type: "string" },
      key: { type: "string" },
      "preload-file": { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.cert || !values.key) throw new Error("usage: node bench/webhook-worker.mjs --cert F --key F --preload-file F.json");
  const dist = resolve(import.meta.dirname, "..", values.dist);
  const { secureOptions } = await import(join(dist, "src/platform/http/tls.js"));
  const { sendText, JSON_CONTENT_TYPE } = await import(join(dist, "src/platform/http/listen.js"));
  const { createMetrics } = await import(join(dist, "src/platform/telemetry/metrics.js"));
  const { createLogger } = await import(join(dist, "src/platform/telemetry/logging.js"));
  const metrics = createMetrics();
  const logger = createLogger({ level: "info" });
  const worker = new Worker(new URL(import.meta.url), { workerData: { dist, files: values["preload-file"] } });
  await new Promise((ready, failed) => {
    worker.once("message", ready);
    worker.once("error", failed);
  });
  /** @type {{ res: import("node:http").ServerResponse; started: bigint; text: string }[]} */
  let queued = [];
  /** @type {typeof queued} */
  let inFlight = [];
  // One batch at a time: what arrives meanwhile waits for the next, as a turn's reviews do in serve.
  const send = () => {
    if (inFlight.length > 0 || queued.length === 0) return;
    inFlight = queued;
    queued = [];
    worker.postMessage(inFlight.map((item) => item.text));
  };
  worker.on("message", (/** @type {Answer[]} */ answers) => {
    const batch = inFlight;
    inFlight = [];
    answers.forEach((answer, i) => {
      const item = /** @type {(typeof batch)[number]} */ (batch[i]);
      const seconds = Number(process.hrtime.bigint() - item.started) / 1e9;
      const decision = answer.decision ?? "error";
      metrics.admissionRequests.inc({ kind: "bench", operation: "bench", decision });
      metrics.admissionDuration.observe({ kind: "bench", operation: "bench" }, seconds);
      // serve's log line (ids, decision, rules) for denials and warnings; a clean "allowed" is debug.
      if (answer.rules?.length || (answer.decision && answer.decision !== "allowed"))
        logger.info(
          { ...answer.request, decision, rules: answer.rules, findings: answer.findings, durationMs: seconds * 1e3 },
          "admission decision",
        );
      sendText(item.res, answer.status, JSON_CONTENT_TYPE, answer.body);
    });
    send();
  });
  const port = await listenHttps(secureOptions({ cert: await readFile(values.cert), key: await readFile(values.key) }), (req, res) => {
    const started = process.hrtime.bigint();
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.once("end", () => {
      queued.push({ res, started, text: Buffer.concat(chunks).toString("utf8") });
      if (queued.length === 1) setImmediate(send);
    });
  });
  process.on("SIGTERM", () => process.exit(0));
  console.log(JSON.stringify({ msg: "ports", port }));
}

await (isMainThread ? server() : reviewer());
