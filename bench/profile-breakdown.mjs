// @ts-check
// Where a process's CPU went, by layer, from a V8 .cpuprofile (node --cpu-prof): self time of
// each sample's function, grouped by the file it runs in. With a request count it also gives
// microseconds per request. Used by bench/webhook-load.mjs (WEBHOOK_PROFILE_DIR) and on its own:
//   node bench/profile-breakdown.mjs FILE.cpuprofile [requests [fromUs toUs]]
// A window (µs on the profile's clock, which on Linux is CLOCK_MONOTONIC like process.hrtime)
// keeps only the samples taken in it: a load step without the process's start-up.
import { readFileSync } from "node:fs";

/** [label, test on "url functionName"]: the first match wins; order matters. */
const CATEGORIES = /** @type {const} */ ([
  ["TLS encryption and socket writes (native, with the kernel's loopback)", /^ (writev|writeUtf8String|writeBuffer|writeLatin1String)$/],
  ["log lines (pino, its file writes)", /node_modules\/(pino|sonic-boom|thread-stream)\/| writeString$/],
  ["metrics (prom-client)", /node_modules\/prom-client\//],
  ["IAM: policy parsing (core/iam/parse)", /\/core\/iam\/parse\.js /],
  ["IAM: evaluation and symbolic questions (rest of core/iam)", /\/core\/iam\//],
  ["rules (core/rules)", /\/core\/rules\//],
  ["adapters, model, inventory, engine (rest of core)", /\/core\//],
  ["admission use case and handler (app/admission, cli/admission-handler)", /\/app\/|\/cli\/admission-handler/],
  ["webhook server: body read, JSON.parse, answer (platform/http)", /\/platform\/http\//],
  ["express and its router", /node_modules\/(express|router|body-parser|finalhandler|send|debug|on-finished)\//],
  ["module loading and compilation (start-up)", /^node:internal\/modules\/| (compileSourceTextModule|wrapSafe)$/],
  ["Node's HTTP, TLS glue, streams, timers, events", /^node:/],
  ["garbage collection", /^ \(garbage collector\)$/],
]);

/** @typedef {{ fromUs: number; toUs: number }} Window */

/**
 * @param {string} file a .cpuprofile
 * @param {Window} [window] only samples taken in it (profile clock, µs)
 * @returns {{ busyMs: number; rows: { label: string; ms: number }[] }}
 */
export function breakdown(file, window) {
  /** @type {{ nodes: { id: number; callFrame: { url: string; functionName: string } }[]; samples: number[]; timeDeltas: number[]; startTime: number }} */
  const profile = JSON.parse(readFileSync(file, "utf8"));
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  /** @type {Map<string, number>} */
  const byLabel = new Map();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const key = `${node.callFrame.url} ${node.callFrame.functionName}`;
    if (us === 0 || key === " (idle)") continue;
    busyUs += us;
    const label = CATEGORIES.find(([, test]) => test.test(key))?.[0] ?? "other (V8 and Node internals, unattributed)";
    byLabel.set(label, (byLabel.get(label) ?? 0) + us);
  }
  const rows = [...byLabel].map(([label, us]) => ({ label, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busyUs / 1000, rows };
}

/**
 * A Markdown table: share of busy CPU time, and µs per request when `requests` is known.
 * @param {string} file
 * @param {number} [requests] answered in the window (or in the whole profile)
 * @param {Window} [window]
 */
export function breakdownTable(file, requests, window) {
  const { busyMs, rows } = breakdown(file, window);
  const perRequest = (/** @type {number} */ ms) => (requests ? ` ${((ms * 1000) / requests).toFixed(0)} µs |` : "");
  return [
    `| where | share of busy CPU |${requests ? " per request |" : ""}`,
    `|---|---|${requests ? "---|" : ""}`,
    ...rows.map((r) => `| ${r.label} | ${((100 * r.ms) / busyMs).toFixed(1)} % |${perRequest(r.ms)}`),
    `| **all busy time** | 100 % |${perRequest(busyMs)}`,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, requests, fromUs, toUs] = process.argv.slice(2);
  if (!file) throw new Error("usage: node bench/profile-breakdown.mjs FILE.cpuprofile [requests [fromUs toUs]]");
  const window = fromUs && toUs ? { fromUs: Number(fromUs), toUs: Number(toUs) } : undefined;
  console.log(breakdownTable(file, requests ? Number(requests) : undefined, window));
}
