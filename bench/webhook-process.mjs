// @ts-check
// Shared by the webhook benchmarks: a scratch directory, the built CLI and its TLS files,
// `serve` (and other Node programs) as child processes, RSS and /metrics readings, the
// AdmissionReview envelope the API server sends, and the two load generators (full speed, paced).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { Buffer } from "node:buffer";
import { Agent, createServer, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";

export const root = resolve(import.meta.dirname, "..");

/** The V8 flag the image's entry point starts every command with (Dockerfile): the benches run serve with it. */
export const IMAGE_NODE_FLAGS = "--max-semi-space-size=8";

/** @typedef {{ dir: string; adopt: (child: import("node:child_process").ChildProcess) => void }} Scratch */
/** @typedef {{ child: import("node:child_process").ChildProcess; port: number; metricsPort: number; log: string }} Started */

/**
 * argv for `serve` (flags as on the command line, with --no-kube) whose inventory is filled
 * from `inventoryFiles` (JSON Lists) and complete, through bench/webhook-serve.mjs.
 * @param {string} dist
 * @param {string[]} inventoryFiles
 * @param {string[]} serveFlags
 */
export function preloadedServe(dist, inventoryFiles, serveFlags) {
  return [
    join(root, "bench/webhook-serve.mjs"),
    "--dist",
    dist,
    ...inventoryFiles.flatMap((f) => ["--preload-file", f]),
    "--",
    ...serveFlags,
  ];
}

/**
 * A scratch directory removed at exit, and the child processes killed with it.
 * @param {string} prefix
 * @returns {Scratch}
 */
export function scratch(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  /** @type {import("node:child_process").ChildProcess[]} */
  const children = [];
  process.on("exit", () => {
    for (const child of children) child.kill("SIGKILL");
    // BENCH_KEEP=1 keeps the folder (the processes' logs, e.g. with --node-flags=--trace-gc).
    if (process.env.BENCH_KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => process.exit(130));
  return { dir, adopt: (child) => children.push(child) };
}

/**
 * An HTTPS server for the benches' own servers on 127.0.0.1, a free port, keep-alive connections
 * held as serve holds them (65 s): the port once listening.
 * @param {import("node:https").ServerOptions} tlsOptions
 * @param {import("node:http").RequestListener} handler
 * @returns {Promise<number>}
 */
export function listenHttps(tlsOptions, handler) {
  const server = createServer(tlsOptions, handler);
  server.keepAliveTimeout = 65_000;
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => done(/** @type {import("node:net").AddressInfo} */ (server.address()).port)),
  );
}

/**
 * The objects of JSON files that each hold one object or a List of them (inventory files).
 * @param {string[]} files
 * @returns {unknown[]}
 */
export function objectsFromFiles(files) {
  /** @type {unknown[]} */
  const objects = [];
  for (const file of files) {
    const parsed = JSON.parse(readFileSync(file, "utf8"));
    if (parsed.kind === "List" && Array.isArray(parsed.items)) objects.push(...parsed.items);
    else objects.push(parsed);
  }
  return objects;
}

/**
 * serve's admission handler in this process, with the default config and serve's heap policy,
 * over a complete inventory of `objects` (raw manifests): what the benches time without HTTP. `dist`
 * relative to the repository.
 * @param {string} dist
 * @param {unknown[]} objects
 */
export async function inProcessAdmission(dist, objects) {
  const distDir = resolve(root, dist);
  const { admissionHandler } = await import(join(distDir, "src/cli/admission-handler.js"));
  const { defaultConfig } = await import(join(distDir, "src/core/config.js"));
  const { Inventory } = await import(join(distDir, "src/core/inventory/inventory.js"));
  const { fillInventory } = await import(join(distDir, "src/core/adapters/inventory-adapter.js"));
  const { disableAllocationSitePretenuring } = await import(join(distDir, "src/platform/util/heap-policy.js"));
  // As serve does before its inventory fills (src/cli/services.ts): without it a loop of
  // reviews here sent about 10 KB of each to the old generation and took about twice the CPU.
  disableAllocationSitePretenuring();
  const config = defaultConfig();
  const inventory = new Inventory();
  fillInventory(
    objects.map((object) => ({ object })),
    inventory,
    config,
  );
  inventory.complete = true;
  return admissionHandler({ config, inventory, inventoryComplete: () => true });
}

/** The built CLI and its certificate helpers; `dist` relative to the repository. */
export async function builtCli(dist = "dist") {
  const distDir = resolve(root, dist);
  const cli = join(distDir, "src/cli/main.js");
  if (!existsSync(cli)) throw new Error(`build first (npm run build), or pass --dist DIR: ${cli} is missing`);
  const { generateCertificates, writeCertificates } = await import(join(distDir, "src/platform/http/certificates.js"));
  return { cli, generateCertificates, writeCertificates };
}

/**
 * Starts `node argv…` with its output in <dir>/<name>.log and resolves once it logged its
 * ports ({"msg":"ports","port":…,"metricsPort":…}), as `serve` does. `memoryCgroup`: a memory
 * cgroup directory (v1 or v2, made by the caller) the process is moved into at once, so it
 * runs under a container's memory limit (Node sizes its heap from that limit).
 * @param {Scratch} work
 * @param {string} name
 * @param {string[]} argv
 * @param {Record<string, string>} [env]
 * @param {string} [memoryCgroup]
 * @returns {Promise<Started>}
 */
export function startProcess(work, name, argv, env = {}, memoryCgroup = undefined) {
  const log = join(work.dir, `${name}.log`);
  const fd = openSync(log, "w");
  const child = spawn(process.execPath, argv, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
  work.adopt(child);
  if (memoryCgroup) writeFileSync(join(memoryCgroup, "cgroup.procs"), String(child.pid));
  return new Promise((resolvePort, reject) => {
    const deadline = Date.now() + 120_000;
    const poll = () => {
      const text = readFileSync(log, "utf8");
      const match = /"msg":"ports","port":(\d+)(?:,"metricsPort":(\d+))?/.exec(text);
      if (match) return resolvePort({ child, port: Number(match[1]), metricsPort: Number(match[2] ?? 0), log });
      if (child.exitCode !== null) return reject(new Error(`${name} exited: ${text}`));
      if (Date.now() > deadline) return reject(new Error(`${name} did not start: ${text}`));
      setTimeout(poll, 100);
    };
    poll();
  });
}

/** @param {number | undefined} pid */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/** @type {RegExpExecArray} */ (/VmRSS:\s+(\d+)/.exec(status))[1]) / 1024;
}

/**
 * CPU time a process has used so far, in seconds: user and system (kernel) apart.
 * @param {number | undefined} pid
 */
export function cpuSeconds(pid) {
  return ticksOf(`/proc/${pid}/stat`);
}

/**
 * The same for the process's main thread alone (the JavaScript thread; the rest is V8's
 * collector helpers and libuv's pool).
 * @param {number | undefined} pid
 */
export function mainThreadCpuSeconds(pid) {
  return ticksOf(`/proc/${pid}/task/${pid}/stat`);
}

/** @param {string} file a /proc stat file */
function ticksOf(file) {
  const stat = readFileSync(file, "utf8");
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = 100; // USER_HZ on Linux
  return { user: Number(fields[11]) / ticks, system: Number(fields[12]) / ticks };
}

/**
 * @param {number} metricsPort
 * @returns {Promise<string>}
 */
export function scrape(metricsPort, path = "/metrics") {
  return new Promise((done, reject) => {
    httpGet({ host: "127.0.0.1", port: metricsPort, path }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => done(body));
    }).on("error", reject);
  });
}

/**
 * V8 heap in use (MiB), from a webhook's own metrics port.
 * @param {number} metricsPort
 */
export async function heapMiB(metricsPort) {
  const text = await scrape(metricsPort);
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 1048576;
}

/**
 * The AdmissionReview v1 the API server would send for `object` (or `oldObject` on DELETE).
 * @param {any} object
 * @param {any} [oldObject]
 */
export function admissionReviewFor(object, operation = "CREATE", oldObject = null, uid = "2b1c6e3a-0b8e-4b8e-9f5e-2f1f3c8a7d10") {
  const subject = object ?? oldObject;
  const [group, version] = subject.apiVersion.split("/");
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: subject.kind },
      resource: { group, version, resource: `${subject.kind.toLowerCase()}s` },
      name: subject.metadata.name,
      ...(subject.metadata.namespace ? { namespace: subject.metadata.namespace } : {}),
      operation,
      userInfo: { username: "system:serviceaccount:crossplane-system:crossplane", groups: ["system:serviceaccounts"] },
      object,
      oldObject,
      dryRun: false,
    },
  };
}

/**
 * Where a load goes: https://127.0.0.1:port + path (default /validate, serve's), the bodies sent
 * in turn, the number of keep-alive connections, and the CA the paced client verifies with.
 * @typedef {{ port: number; path?: string; bodies: string[]; connections: number; ca: string }} LoadTarget
 */

/**
 * autocannon at full speed (or for `amount` requests), POSTing the bodies in turn.
 * @param {LoadTarget} target
 * @param {{ duration?: number; amount?: number }} options
 * @returns {Promise<import("autocannon").Result>}
 */
export function cannonAt(target, options) {
  return new Promise((resolveRun, reject) => {
    autocannon(
      {
        url: `https://127.0.0.1:${target.port}`,
        connections: target.connections,
        pipelining: 1,
        requests: target.bodies.map((body) => ({
          method: "POST",
          path: target.path ?? "/validate",
          headers: { "content-type": "application/json" },
          body,
        })),
        ...options,
      },
      (error, result) => (error ? reject(error) : resolveRun(result)),
    );
  });
}

/**
 * Open loop at `rate` requests/s for `durationS`, across keep-alive connections; latency from the scheduled send time.
 * The first `warmUpS` seconds run at the same rate but are not counted: they open the client's
 * connections (a TLS handshake each, tens of ms of CPU in a burst), which an API server does once
 * per connection it keeps alive, not per review.
 * @param {LoadTarget} target
 * @param {number} rate
 * @param {number} durationS
 * @param {number} [warmUpS]
 */
export async function pacedLatencyAt(target, rate, durationS, warmUpS = 2) {
  const agent = new Agent({ keepAlive: true, maxSockets: target.connections * 4, ca: target.ca });
  /** @type {number[]} */
  const latencies = [];
  /** How late the client itself sent each measured request (its own stalls: GC, descheduling). */
  /** @type {number[]} */
  const lateness = [];
  let errors = 0;
  const warmUp = Math.floor(rate * warmUpS);
  const total = warmUp + Math.floor(rate * durationS);
  const start = performance.now() + 50;
  const pending = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // A timer fires up to a millisecond early or late: a request sent late counts from its
    // scheduled time (the open loop's point), one sent early from when it was sent.
    const origin = Math.min(scheduled, performance.now());
    if (i >= warmUp) lateness.push(Math.max(0, performance.now() - scheduled));
    const body = /** @type {string} */ (target.bodies[i % target.bodies.length]);
    pending.push(
      new Promise((/** @type {(value?: unknown) => void} */ done) => {
        const req = httpsRequest(
          {
            host: "127.0.0.1",
            port: target.port,
            method: "POST",
            path: target.path ?? "/validate",
            agent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on("end", () => {
              if (res.statusCode !== 200) errors++;
              else if (i >= warmUp) latencies.push(performance.now() - origin);
              done();
            });
          },
        );
        req.on("error", () => {
          errors++;
          done();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  lateness.sort((a, b) => a - b);
  /** @type {(values: number[], p: number) => number | undefined} */
  const pct = (values, p) => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
  return {
    rate,
    requests: total,
    errors,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: latencies[latencies.length - 1],
    lateP99: pct(lateness, 99),
    lateMax: lateness[lateness.length - 1],
  };
}

/**
 * Source for `node -e` of the bare HTTPS server, the ceiling the webhook benches compare with:
 * TLS, HTTP, the body read, `JSON.parse` and one fixed AdmissionReview, nothing else. Its first
 * argument, if any: microseconds of busy loop per request before answering (webhook-load.mjs's
 * --layers calibration row: what time spent in a handler costs a server on this machine).
 * Prints {"msg":"ports","port":N} as serve does.
 * @param {string} certFile
 * @param {string} keyFile
 */
export function bareServerScript(certFile, keyFile) {
  const response = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid: "2b1c6e3a-0b8e-4b8e-9f5e-2f1f3c8a7d10", allowed: true },
  });
  return `
const https = require("node:https"); const fs = require("node:fs");
const body = ${JSON.stringify(response)};
const busyMs = Number(process.argv[1] ?? 0) / 1000;
const server = https.createServer({ cert: fs.readFileSync(${JSON.stringify(certFile)}), key: fs.readFileSync(${JSON.stringify(keyFile)}), minVersion: "TLSv1.2" }, (req, res) => {
  const chunks = []; req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (busyMs > 0) { const until = performance.now() + busyMs; while (performance.now() < until); }
    JSON.parse(Buffer.concat(chunks).toString()); res.writeHead(200, { "content-type": "application/json" }); res.end(body);
  });
});
server.keepAliveTimeout = 65000;
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ msg: "ports", port: server.address().port })));
`;
}

/**
 * cannonAt for `seconds`, with the server's CPU time per request (µs: user, system, and its main
 * thread alone, the JavaScript thread; the rest is V8's collector helpers and libuv's pool) and
 * the run's span on the monotonic clock V8's CPU profiles use too.
 * @param {LoadTarget} target
 * @param {number | undefined} pid the server's process
 * @param {number} seconds
 */
export async function measuredAt(target, pid, seconds) {
  const before = cpuSeconds(pid);
  const mainBefore = mainThreadCpuSeconds(pid);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const result = await cannonAt(target, { duration: seconds });
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const after = cpuSeconds(pid);
  const mainAfter = mainThreadCpuSeconds(pid);
  const perRequest = (/** @type {number} */ s) => (s * 1e6) / Math.max(1, result.requests.total);
  return Object.assign(result, {
    cpuUser: perRequest(after.user - before.user),
    cpuSystem: perRequest(after.system - before.system),
    cpuMain: perRequest(mainAfter.user + mainAfter.system - mainBefore.user - mainBefore.system),
    window: { fromUs, toUs },
  });
}

/**
 * One POST of `body` to the target, verified with its CA; the HTTP status and the response text.
 * @param {LoadTarget} target
 * @param {string} body
 * @returns {Promise<{ status: number; text: string }>}
 */
export function postOnce(target, body) {
  return new Promise((done, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: target.port,
        method: "POST",
        path: target.path ?? "/validate",
        ca: target.ca,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => done({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The webhook goal: serve's rate at least this fraction of the bare HTTPS server's (issue #18). */
export const WEBHOOK_GOAL_RATIO = 0.7;

/**
 * What the webhook goal (WEBHOOK_GOAL_RATIO of the bare server's rate) leaves for the review, from CPU per
 * request (µs) of the bare server, our server sending serve's answers without reviewing, and
 * serve reviewing. Throughput on one busy core goes as 1 / CPU per request, so at `ratio` a
 * server may spend bare / ratio; the answers take their share of what that leaves beyond the
 * bare server's own work, and the review gets the rest.
 * @param {{ bare: number; recalled: number; reviewing: number; ratio?: number }} cpu
 */
export function goalBudget({ bare, recalled, reviewing, ratio = WEBHOOK_GOAL_RATIO }) {
  const perRequest = bare / ratio;
  const beyondBare = perRequest - bare;
  const answers = recalled - bare;
  return { perRequest, beyondBare, answers, forReview: beyondBare - answers, review: reviewing - recalled };
}
