// @ts-check
// Shared by the webhook benchmarks: a scratch directory, the built CLI and its TLS files,
// `serve` (and other Node programs) as child processes, RSS and /metrics readings, and the
// AdmissionReview envelope the API server sends.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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
 * serve's admission handler in this process, with the default config, over a complete
 * inventory of `objects` (raw manifests): what the benches time without HTTP. `dist`
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
