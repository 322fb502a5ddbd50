// @ts-check
// Load test of `s3-vpce-guard serve` (POST /validate over HTTPS) with a 10,000-resource
// inventory, side by side with a bare Node HTTPS server that answers one fixed
// AdmissionReview (the ceiling of this machine: TLS + HTTP + JSON, no work).
//
// Measures, in one run:
//   1. maximum throughput of both servers (autocannon, keep-alive connections) → ratio;
//   2. latency p50/p99 at half of our maximum rate (open-loop paced client, so a slow
//      answer cannot hide later ones: coordinated omission is accounted for);
//   3. RSS of the webhook process sampled every second across a long run of N requests
//      (default 100k; --requests 1000000 for the note) with its trend.
//
// Usage: npm run build && node bench/webhook-load.mjs [--requests 100000] [--seconds 10]
//        [--connections 10] [--dist dist] [--mix all|light] [--rate REQ_PER_S] [--node-flags="FLAGS"] [--pin]
//        [--layers ROUNDS [--compare-flags="NODE FLAGS" ...] [--compare-dist DIR ...] [--busy-us 50] [--touch-mib 2] [--worker-row]]
// The webhook runs as shipped (`serve --no-kube`, info-level JSON logs to a file), its
// inventory filled before start through the library (bench/webhook-serve.mjs), so it is
// complete and cross-resource rules run.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { setInterval, clearInterval } from "node:timers";
import { parseArgs } from "node:util";
import { denyUnlessEndpoint, endpointManifest, growWithGrants, regionOf, vpce } from "./corpus.mjs";
import { breakdownTable } from "./profile-breakdown.mjs";
import {
  IMAGE_NODE_FLAGS,
  admissionReviewFor,
  bareServerScript,
  builtCli,
  cannonAt,
  goalBudget,
  heapMiB,
  inProcessAdmission,
  measuredAt,
  pacedLatencyAt,
  postOnce,
  preloadedServe,
  root,
  rssMiB,
  scrape,
  scratch,
  startProcess,
  WEBHOOK_GOAL_RATIO,
} from "./webhook-process.mjs";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "100000" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    // Paced rate for the latency step (req/s); default half of our measured maximum. A fixed
    // rate compares two builds at the same load.
    rate: { type: "string" },
    dist: { type: "string", default: "dist" },
    // "light": only the cheapest review (a Bucket without policy), to separate the cost of
    // the server (TLS, HTTP, JSON, logs, metrics) from the cost of the rules.
    mix: { type: "string", default: "all" },
    // V8/Node flags for the webhook process only. Default: as the chart runs it (the image's
    // entry point sets the young generation, the chart's NODE_OPTIONS the old-space cap).
    "node-flags": { type: "string", default: `${IMAGE_NODE_FLAGS} --max-old-space-size=192` },
    // Pin this script (the load generators) to CPU 0 and both servers, all their threads, to
    // CPU 1 (taskset): separates the servers' own latency from competition for the two cores.
    pin: { type: "boolean", default: false },
    // --layers N: instead of the steps below, N rounds (alternating, --seconds each) of the bare
    // server, our server as shipped around a fixed answer (bench/webhook-fixed.mjs), the same
    // server sending serve's real answers without reviewing, serve reviewing, and for comparison
    // the fixed answer inside an express 5 app; prints what each layer adds per request.
    layers: { type: "string" },
    // With --layers: one more row per use, serve reviewing in another process run with these node
    // flags instead of --node-flags, so flag sets are compared in the same alternating rounds.
    "compare-flags": { type: "string", multiple: true },
    // With --layers: one more row per use, serve reviewing from another build (tsc's output of
    // another commit, in a directory inside this checkout so that it finds node_modules), so two
    // builds are compared in the same alternating rounds rather than in runs minutes apart.
    "compare-dist": { type: "string", multiple: true },
    // With --layers: the calibration row, the bare server spending this many microseconds in a
    // busy loop per request: how much server CPU a microsecond of handler time costs here.
    "busy-us": { type: "string", default: "50" },
    // With --layers: after the rounds, the in-process loop also runs with this many MiB of other
    // memory touched between reviews, as TLS, HTTP and the collector touch memory between them
    // in a server: what a review costs when its working set has left the CPU's caches.
    "touch-mib": { type: "string", default: "2" },
    // With --layers: one more row, serve's review on a worker thread with its own copy of the
    // inventory (bench/webhook-worker.mjs, bench only): what a second thread buys on this machine.
    "worker-row": { type: "boolean", default: false },
  },
});
const { generateCertificates, writeCertificates } = await builtCli(args.dist);
const busyUs = Number(args["busy-us"]);
if (!(busyUs > 0)) throw new Error(`--busy-us must be a positive number of microseconds, got ${JSON.stringify(args["busy-us"])}`);
const touchMiB = Number(args["touch-mib"]);
if (!(touchMiB > 0)) throw new Error(`--touch-mib must be a positive number of MiB, got ${JSON.stringify(args["touch-mib"])}`);
for (const dist of args["compare-dist"] ?? []) {
  if (!existsSync(resolve(root, dist, "src/cli/serve.js")))
    throw new Error(
      `--compare-dist ${dist}: no build there (no ${join(dist, "src/cli/serve.js")} under ${root}); build the other commit and copy its dist into this checkout (see README, "Benchmarks")`,
    );
}
const totalRequests = Number(args.requests);
const seconds = Number(args.seconds);
const connections = Number(args.connections);

// --- the 10k-resource inventory -----------------------------------------------------
function inventoryObjects() {
  const items = [];
  for (let i = 0; i < 5000; i++) items.push(endpointManifest(i));
  for (let i = 0; i < 2500; i++) {
    const region = regionOf(i);
    items.push({
      apiVersion: "s3.aws.upbound.io/v1beta2",
      kind: "Bucket",
      metadata: { name: `bench-bucket-${i}` },
      spec: { forProvider: { region } },
    });
    items.push({
      apiVersion: "s3.aws.upbound.io/v1beta1",
      kind: "BucketPolicy",
      metadata: { name: `bench-bucket-${i}-policy` },
      spec: {
        forProvider: { region, bucket: `bench-bucket-${i}`, policy: JSON.stringify(denyUnlessEndpoint(`bench-bucket-${i}`, vpce(i))) },
      },
    });
  }
  return items;
}

// --- realistic AdmissionReviews: a mix of kinds, policies from 2 KB to 20 KB ----------
/**
 * A bucket policy of at least `bytes` characters: one Deny-unless-endpoint plus grants per prefix.
 * @param {string} bucket
 * @param {number} bytes
 */
function sizedPolicy(bucket, bytes, extra = {}) {
  return growWithGrants(denyUnlessEndpoint(bucket, vpce(1)), bucket, bytes, { StringEquals: { "aws:SourceVpce": vpce(1) }, ...extra });
}
/**
 * @param {any} object
 * @param {any} [oldObject]
 */
function admissionReview(object, operation = "CREATE", oldObject = null) {
  return JSON.stringify(admissionReviewFor(object, operation, oldObject));
}
function corpus() {
  /** @type {(name: string, bytes: number, extra?: Record<string, unknown>, namespaced?: boolean) => object} */
  const upjetPolicy = (name, bytes, extra, namespaced) => ({
    apiVersion: namespaced ? "s3.aws.m.upbound.io/v1beta1" : "s3.aws.upbound.io/v1beta1",
    kind: "BucketPolicy",
    metadata: { name, ...(namespaced ? { namespace: "team-a" } : {}) },
    spec: {
      forProvider: { region: "us-east-1", bucket: "bench-bucket-1", policy: JSON.stringify(sizedPolicy("bench-bucket-1", bytes, extra)) },
    },
  });
  const gateway = endpointManifest(1);
  const moved = JSON.parse(JSON.stringify(gateway));
  moved.spec.forProvider.tags = { team: "a" };
  return [
    { name: "upjet BucketPolicy 2 KB (allowed)", body: admissionReview(upjetPolicy("p2k", 2_000)) },
    {
      name: "upjet BucketPolicy 5 KB (denied: private aws:SourceIp)",
      body: admissionReview(upjetPolicy("p5k", 5_000, { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })),
    },
    { name: "upjet .m BucketPolicy 10 KB", body: admissionReview(upjetPolicy("p10k", 10_000, {}, true)) },
    {
      name: "community BucketPolicy rawPolicy 20 KB",
      body: admissionReview({
        apiVersion: "s3.aws.crossplane.io/v1alpha3",
        kind: "BucketPolicy",
        metadata: { name: "p20k" },
        spec: {
          forProvider: {
            region: "us-east-1",
            bucketName: "bench-bucket-1",
            rawPolicy: JSON.stringify(sizedPolicy("bench-bucket-1", 20_000)),
          },
        },
      }),
    },
    {
      name: "ACK Bucket with 5 KB policy",
      body: admissionReview({
        apiVersion: "s3.services.k8s.aws/v1alpha1",
        kind: "Bucket",
        metadata: { name: "ack-5k", namespace: "team-a", annotations: { "services.k8s.aws/region": "us-east-1" } },
        spec: { name: "bench-bucket-1", policy: JSON.stringify(sizedPolicy("bench-bucket-1", 5_000)) },
      }),
    },
    { name: "community VPCEndpoint UPDATE (tags only)", body: admissionReview(moved, "UPDATE", gateway) },
    { name: "community VPCEndpoint DELETE (warned)", body: admissionReview(null, "DELETE", gateway) },
    {
      name: "upjet Bucket CREATE",
      body: admissionReview({
        apiVersion: "s3.aws.upbound.io/v1beta2",
        kind: "Bucket",
        metadata: { name: "new-bucket" },
        spec: { forProvider: { region: "eu-west-1" } },
      }),
    },
  ];
}

// --- processes ---------------------------------------------------------------------
const work = scratch("s3vg-webhook-bench-");

const bundle = generateCertificates({ names: ["127.0.0.1", "localhost"], days: 1 });
const files = await writeCertificates(join(work.dir, "pki"), bundle);
const inventoryFile = join(work.dir, "inventory.json");
writeFileSync(inventoryFile, JSON.stringify({ apiVersion: "v1", kind: "List", items: inventoryObjects() }));
const requests = args.mix === "light" ? corpus().filter((r) => r.name === "upjet Bucket CREATE") : corpus();
const bareScript = bareServerScript(files.cert, files.key);

// --- measurements ------------------------------------------------------------------
/** Where the load goes: a server's port, with this run's bodies, connections and CA. */
const at = (/** @type {number} */ port) => ({ port, bodies: requests.map((r) => r.body), connections, ca: bundle.caPem });
/**
 * @param {number} port
 * @param {{ duration?: number; amount?: number }} options
 */
const cannon = (port, options) => cannonAt(at(port), options);
/**
 * @param {number} port
 * @param {number} rate
 * @param {number} durationS
 */
const pacedLatency = (port, rate, durationS) => pacedLatencyAt(at(port), rate, durationS);

/**
 * The sum of the values of every sample line of a metrics text that `pattern` matches.
 * @param {string} text
 * @param {RegExp} pattern
 */
function metricSum(text, pattern) {
  return text
    .split("\n")
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/**
 * Event-loop delay (since the previous scrape) and GC pause totals from a webhook's metrics text;
 * with `before`, the GC figures are the difference since then.
 * @param {string} text
 * @param {{ gcSeconds: number; gcCount: number; majorCount: number }} [before]
 */
function loopDelayOf(text, before) {
  const value = (/** @type {RegExp} */ pattern) => metricSum(text, pattern);
  const gcSeconds = value(/^nodejs_gc_duration_seconds_sum\{/) - (before?.gcSeconds ?? 0);
  const gcCount = value(/^nodejs_gc_duration_seconds_count\{/) - (before?.gcCount ?? 0);
  const majorCount = value(/^nodejs_gc_duration_seconds_count\{kind="major"\}/) - (before?.majorCount ?? 0);
  return {
    p99: value(/^nodejs_eventloop_lag_p99_seconds /),
    max: value(/^nodejs_eventloop_lag_max_seconds /),
    gcSeconds,
    gcCount,
    majorCount,
  };
}

/**
 * Cumulative admission_duration_seconds buckets (le → count), summed over kinds and operations.
 * @param {number} metricsPort
 */
async function durationBuckets(metricsPort) {
  /** @type {Map<string, number>} */
  const buckets = new Map();
  for (const m of (await scrape(metricsPort)).matchAll(/^s3_vpce_guard_admission_duration_seconds_bucket\{le="([^"]+)",[^}]*\} (\d+)/gm)) {
    const le = /** @type {string} */ (m[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/**
 * Upper bucket bound holding quantile q of the requests between two scrapes (server-side time).
 * @param {Map<string, number>} before
 * @param {Map<string, number>} after
 * @param {number} q
 */
function bucketQuantile(before, after, q) {
  const rows = [...after]
    .map(([le, n]) => /** @type {[number, number]} */ ([le === "+Inf" ? Infinity : Number(le), n - (before.get(le) ?? 0)]))
    .sort((a, b) => a[0] - b[0]);
  const total = /** @type {[number, number]} */ (rows.at(-1))[1];
  const row = /** @type {[number, number]} */ (rows.find(([, n]) => n >= q * total));
  return row[0] === Infinity ? "> 2.5 s" : `≤ ${row[0] * 1000} ms`;
}

/**
 * @param {import("./webhook-process.mjs").Started} service
 * @param {number} amount
 */
async function longRun(service, amount) {
  /** @type {Array<{ t: number; rss: number; heap: number }>} */
  const samples = [];
  const started = Date.now();
  const sample = async () =>
    samples.push({ t: (Date.now() - started) / 1000, rss: rssMiB(service.child.pid), heap: await heapMiB(service.metricsPort) });
  const timer = setInterval(() => void sample(), 1000);
  await sample();
  const result = await cannon(service.port, { amount });
  clearInterval(timer);
  await sample();
  // Trend over the second half (after warm-up): least-squares slope in MiB per minute.
  const half = samples.slice(Math.floor(samples.length / 2));
  const n = half.length;
  const mt = half.reduce((s, x) => s + x.t, 0) / n;
  const mr = half.reduce((s, x) => s + x.rss, 0) / n;
  const slope =
    half.reduce((s, x) => s + (x.t - mt) * (x.rss - mr), 0) /
    Math.max(
      1e-9,
      half.reduce((s, x) => s + (x.t - mt) ** 2, 0),
    );
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  /** @type {(xs: Array<{ rss: number }>) => number} */
  const avg = (xs) => xs.reduce((s, x) => s + x.rss, 0) / xs.length;
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
    rps: result.requests.average,
    rssStart: /** @type {{ rss: number }} */ (samples[0]).rss,
    rssFirstQuarter: avg(samples.slice(0, quarter)),
    rssLastQuarter: avg(samples.slice(-quarter)),
    rssMax: Math.max(...samples.map((s) => s.rss)),
    slopeMiBPerMin: slope * 60,
    heapFirstQuarter: samples.slice(0, quarter).reduce((s, x) => s + x.heap, 0) / quarter,
    heapLastQuarter: samples.slice(-quarter).reduce((s, x) => s + x.heap, 0) / quarter,
    heapMax: Math.max(...samples.map((s) => s.heap)),
    samples: samples.length,
    plot: rssPlot(samples, result.requests.total),
  };
}

/**
 * RSS and heap over the run as text: about 24 rows, a bar per row scaled from 0 to the largest RSS.
 * @param {{ t: number; rss: number; heap: number }[]} samples
 * @param {number} requests
 */
function rssPlot(samples, requests) {
  /** @type {{ t: number; rss: number; heap: number }[]} */
  const rows = [];
  const step = Math.max(1, Math.ceil(samples.length / 24));
  const top = Math.max(...samples.map((x) => x.rss));
  const last = /** @type {{ t: number }} */ (samples.at(-1)).t || 1;
  for (let i = 0; i < samples.length; i += step) rows.push(/** @type {{ t: number; rss: number; heap: number }} */ (samples[i]));
  const final = /** @type {{ t: number; rss: number; heap: number }} */ (samples.at(-1));
  if (rows.at(-1) !== final) rows.push(final);
  const width = 50;
  return rows
    .map((x) => {
      const done = Math.round((requests * x.t) / last);
      const bar = "#".repeat(Math.round((width * x.rss) / top));
      return `  ${x.t.toFixed(0).padStart(5)} s  ~${String(done).padStart(8)} req  RSS ${x.rss.toFixed(0).padStart(4)} MiB  heap ${x.heap.toFixed(0).padStart(4)} MiB  |${bar}`;
    })
    .join("\n");
}

/** @type {(n: unknown, d?: number) => string} */
const fmt = (n, d = 1) => (typeof n === "number" ? n.toFixed(d) : String(n));
const otherLoad = () => {
  try {
    return execSync("ps -eo pcpu,comm --sort=-pcpu | head -8", { encoding: "utf8" }).trim();
  } catch {
    return "(ps unavailable)";
  }
};

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`other processes at start (top CPU):\n${otherLoad()}`);
console.log(`corpus: ${requests.length} AdmissionReviews, ${requests.map((r) => `${(r.body.length / 1024).toFixed(1)} KB`).join(", ")}`);

// WEBHOOK_PROFILE_DIR=/tmp/x writes CPU profiles of the webhook and the bare server (stopped with
// SIGTERM at the end) and prints where each one's CPU went, per request (bench/profile-breakdown.mjs).
const profileDir = process.env.WEBHOOK_PROFILE_DIR;
const profileArgs = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
const startServe = (/** @type {string} */ name, /** @type {string} */ nodeFlags, dist = args.dist) =>
  startProcess(work, name, [
    ...profileArgs,
    ...nodeFlags.split(" ").filter(Boolean),
    ...preloadedServe(
      dist,
      [inventoryFile],
      ["--tls-cert", files.cert, "--tls-key", files.key, "--port", "0", "--metrics-port", "0", "--host", "127.0.0.1", "--no-kube"],
    ),
  ]);
const service = await startServe("webhook", args["node-flags"]);
const bare = await startProcess(work, "bare", [...profileArgs, "-e", bareScript]);
if (args.pin) {
  execSync(`taskset -a -p -c 0 ${process.pid}`, { stdio: "ignore" });
  for (const pid of [service.child.pid, bare.child.pid]) execSync(`taskset -a -p -c 1 ${pid}`, { stdio: "ignore" });
  console.log("pinned: load generators on CPU 0, servers on CPU 1");
}
console.log(
  `webhook pid ${service.child.pid} (inventory preloaded, RSS ${fmt(rssMiB(service.child.pid))} MiB, node flags: ${args["node-flags"] || "none"}), bare pid ${bare.child.pid}`,
);

// Sanity: each corpus entry gets a well-formed answer. The answers, by kind/name/operation, are
// what the --layers row "recorded answers" sends without reviewing.
/** @type {Record<string, unknown>} */
const answers = {};
for (const r of requests) {
  const posted = await postOnce(at(service.port), r.body);
  const reply = { status: posted.status, body: JSON.parse(posted.text) };
  const response = reply.body.response ?? {};
  const sent = JSON.parse(r.body).request;
  answers[`${sent.kind.kind}/${sent.name}/${sent.operation}`] = reply.body;
  console.log(`  ${r.name}: HTTP ${reply.status}, allowed=${response.allowed}, warnings=${response.warnings?.length ?? 0}`);
}

await cannon(service.port, { duration: 3 }); // warm-up (JIT)
await cannon(bare.port, { duration: 3 });
/**
 * autocannon at full speed, with the server's CPU time per request (µs, user + system).
 * @param {{ child: import("node:child_process").ChildProcess; port: number }} target
 */
const measured = (target) => measuredAt(at(target.port), target.child.pid, seconds);
const cpuText = (/** @type {{ cpuUser: number; cpuSystem: number; cpuMain: number }} */ r) =>
  `server CPU per request ${fmt(r.cpuUser + r.cpuSystem, 0)} µs (user ${fmt(r.cpuUser, 0)}, system ${fmt(r.cpuSystem, 0)}; main thread ${fmt(r.cpuMain, 0)}, other threads ${fmt(r.cpuUser + r.cpuSystem - r.cpuMain, 0)})`;
/**
 * CPU per request of serve's handler in a loop in this process, without HTTP: JSON.parse alone,
 * and what the handler does beyond it (nesting scan, envelope, decide over the same 10k
 * inventory, stringified answer). Medians of 3 runs after a warm-up.
 */
const loopBodies = requests.map((r) => Buffer.from(r.body));
const loopTextOf = (/** @type {number} */ i) => /** @type {Buffer} */ (loopBodies[i % loopBodies.length]).toString("utf8");

/**
 * What serve's handler does with one body, in this process with the build in `dist`: nesting
 * scan, JSON.parse, envelope, review over the same 10k inventory, stringified answer.
 * @param {string} dist
 */
async function inProcessAnswer(dist) {
  const { MAX_BODY_DEPTH } = await import(join(resolve(root, dist), "src/platform/http/webhook-server.js"));
  const handler = await inProcessAdmission(dist, inventoryObjects());
  return (/** @type {string} */ text) => {
    if (handler.nestingBeyond(text, MAX_BODY_DEPTH) !== undefined) throw new Error("corpus body nests too deep");
    const parsed = handler.parse(JSON.parse(text));
    if (!parsed.ok) throw new Error(parsed.message);
    if (JSON.stringify(handler.decide(parsed.request).review).length === 0) throw new Error("empty answer");
  };
}

/**
 * With --compare-dist: the whole handler in a loop, this build and the other in turn, 20 rounds
 * of 16,000 requests (the corpus in turn, as the server gets it), which runs first alternating.
 * Round by round differences show what minutes-apart runs on a noisy machine cannot.
 * @param {string} otherDist
 */
async function inProcessCompared(otherDist) {
  const answers = [await inProcessAnswer(args.dist), await inProcessAnswer(otherDist)];
  const wallPerRequest = (/** @type {(text: string) => void} */ answer, /** @type {number} */ n) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) answer(loopTextOf(i));
    return Number(process.hrtime.bigint() - started) / 1000 / n;
  };
  for (const answer of answers) wallPerRequest(answer, 16_000);
  /** @type {number[][]} */
  const times = [[], []];
  for (let round = 0; round < 20; round++) {
    for (const k of round % 2 === 0 ? [0, 1] : [1, 0])
      times[k]?.push(wallPerRequest(/** @type {(text: string) => void} */ (answers[k]), 16_000));
  }
  const [ours = [], other = []] = times;
  return { ours, other };
}

async function inProcessReview() {
  const answer = await inProcessAnswer(args.dist);
  const loop = (/** @type {boolean} */ review, /** @type {number} */ n) => {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      if (review) answer(loopTextOf(i));
      else JSON.parse(loopTextOf(i));
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  // Wall time of the whole handler per request, with `other` written over before each review
  // and not counted.
  const timed = (/** @type {Float64Array | undefined} */ other, /** @type {number} */ n) => {
    let spent = 0n;
    for (let i = 0; i < n; i++) {
      other?.fill(i);
      const started = process.hrtime.bigint();
      answer(loopTextOf(i));
      spent += process.hrtime.bigint() - started;
    }
    return Number(spent) / 1000 / n;
  };
  const n = 16_000;
  loop(true, n);
  const median3 = (/** @type {() => number} */ f) => [f(), f(), f()].sort((a, b) => a - b)[1] ?? NaN;
  const parse = median3(() => loop(false, n));
  const beyondParse = median3(() => loop(true, n)) - parse;
  const other = new Float64Array((touchMiB * 1024 * 1024) / 8);
  const alone = median3(() => timed(undefined, n / 4));
  const touched = median3(() => timed(other, n / 4));
  return { parse, beyondParse, alone, touched };
}

if (args.layers) {
  const fixedArgs = (/** @type {string} */ layer) => [
    ...args["node-flags"].split(" ").filter(Boolean),
    join(import.meta.dirname, "webhook-fixed.mjs"),
    ...["--dist", args.dist, "--cert", files.cert, "--key", files.key, "--layer", layer],
  ];
  const fixedShipped = await startProcess(work, "fixed-shipped", fixedArgs("shipped"));
  const answersFile = join(work.dir, "answers.json");
  writeFileSync(answersFile, JSON.stringify(answers));
  const fixedRecorded = await startProcess(work, "fixed-recorded", [...fixedArgs("shipped"), "--answers", answersFile]);
  const fixedExpress = await startProcess(work, "fixed-express", fixedArgs("express"));
  const bareBusy = await startProcess(work, "bare-busy", ["-e", bareScript, String(busyUs)]);
  const compared = [];
  for (const [i, flags] of (args["compare-flags"] ?? []).entries())
    compared.push({ what: `node flags ${flags}`, process: await startServe(`webhook-compared-${i}`, flags) });
  for (const [i, dist] of (args["compare-dist"] ?? []).entries())
    compared.push({ what: `build ${dist}`, process: await startServe(`webhook-build-${i}`, args["node-flags"], dist) });
  if (args["worker-row"])
    compared.push({
      what: "the review on a worker thread (bench/webhook-worker.mjs)",
      process: await startProcess(work, "webhook-worker", [
        ...args["node-flags"].split(" ").filter(Boolean),
        join(import.meta.dirname, "webhook-worker.mjs"),
        ...["--dist", args.dist, "--cert", files.cert, "--key", files.key, "--preload-file", inventoryFile],
      ]),
    });
  // Warm-up (JIT), as serve and the bare server had above.
  for (const fixed of [fixedShipped, fixedRecorded, fixedExpress, bareBusy, ...compared.map((c) => c.process)])
    await cannon(fixed.port, { duration: 3 });
  // Each row adds to the one before; the comparison rows add to the row they stand beside.
  const targets = [
    { name: "bare HTTPS server (TLS, HTTP, JSON.parse, fixed answer)", process: bare, base: -1 },
    { name: "our server as shipped, fixed answer", process: fixedShipped, base: 0 },
    { name: "our server as shipped, serve's real answers recalled without reviewing", process: fixedRecorded, base: 1 },
    { name: "serve, reviewing (10k inventory)", process: service, base: 2 },
    { name: "for comparison: our fixed answer inside an express 5 app", process: fixedExpress, base: 1 },
    { name: `calibration: the bare server with a ${busyUs} µs busy loop per request`, process: bareBusy, base: 0 },
    ...compared.map((c) => ({ name: `for comparison: serve, reviewing, ${c.what}`, process: c.process, base: 2 })),
  ].map((t) => ({ ...t, cpu: /** @type {number[]} */ ([]), main: /** @type {number[]} */ ([]), rate: /** @type {number[]} */ ([]) }));
  for (let round = 0; round < Number(args.layers); round++) {
    for (const t of targets) {
      const run = await measured(t.process);
      t.cpu.push(run.cpuUser + run.cpuSystem);
      t.main.push(run.cpuMain);
      t.rate.push(run.requests.average);
    }
  }
  const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  console.log(
    `\nlayers: ${args.layers} rounds alternating, ${seconds} s each, ${connections} connections; server CPU per request (µs), median [all rounds]`,
  );
  console.log(
    "| server | CPU per request | added by this layer | of it on the main thread | other threads (V8's collector helpers) | req/s |\n|---|---|---|---|---|---|",
  );
  const signed = (/** @type {number} */ x) => `${x >= 0 ? "+" : "−"}${fmt(Math.abs(x), 0)}`;
  for (const t of targets) {
    const cpu = median(t.cpu);
    const main = median(t.main);
    const base = targets[t.base];
    // Each round's other threads, from the same run as its total.
    const others = median(t.cpu.map((total, i) => total - (t.main[i] ?? NaN)));
    console.log(
      `| ${t.name} | ${fmt(cpu, 0)} [${t.cpu.map((x) => fmt(x, 0)).join(", ")}] | ${base ? signed(cpu - median(base.cpu)) : "—"} | ${fmt(main, 0)}${base ? ` (${signed(main - median(base.main))})` : ""} | ${fmt(others, 0)} | ${fmt(median(t.rate), 0)} |`,
    );
  }
  // Rounds of one server vary more than two servers differ (this machine: ±20 %); a round's
  // rows run minutes apart at most, so each comparison row is read beside serve round by round.
  const reviewing = targets.find((t) => t.process === service);
  for (const c of compared) {
    const t = targets.find((x) => x.process === c.process);
    if (!t || !reviewing) continue;
    const differences = reviewing.cpu.map((cpu, round) => cpu - (t.cpu[round] ?? NaN));
    console.log(
      `serve minus serve with ${c.what}, round by round: median ${signed(median(differences))} µs per request; serve was the cheaper in ${differences.filter((d) => d < 0).length} of ${differences.length} rounds`,
    );
  }
  // The goal's ratio, from the same rounds: one plain run's ratio rests on two 5 s runs minutes
  // apart, and here the bare server alone varies by a third from round to round.
  const bareRow = targets.find((t) => t.process === bare);
  if (reviewing && bareRow) {
    const ratios = reviewing.rate.map((rate, round) => rate / (bareRow.rate[round] ?? NaN));
    console.log(
      `ratio of serve's rate to the bare server's, round by round: median ${fmt(median(ratios), 2)} [${ratios.map((r) => fmt(r, 2)).join(", ")}] (goal ≥ ${WEBHOOK_GOAL_RATIO})`,
    );
  }
  const cpuOf = (/** @type {{ port: number }} */ server) => median(targets.find((t) => t.process === server)?.cpu ?? []);
  const busyAdded = cpuOf(bareBusy) - cpuOf(bare);
  const perHandlerUs = busyAdded / busyUs;
  const inLoop = await inProcessReview();
  console.log(
    `\ncalibration: ${busyUs} µs of busy loop in the bare server's handler added ${fmt(busyAdded, 0)} µs of server CPU per request (×${fmt(perHandlerUs, 2)}).`,
  );
  console.log(
    `in process, on the same corpus and inventory (this script's process, a loop, no HTTP, serve's heap policy): JSON.parse ${fmt(inLoop.parse, 0)} µs, serve's handler beyond it (nesting scan, envelope, review, answer) ${fmt(inLoop.beyondParse, 0)} µs per request;`,
  );
  console.log(
    `  × ${fmt(perHandlerUs, 2)} = ${fmt(inLoop.beyondParse * perHandlerUs, 0)} µs expected in the server; serve added ${fmt(cpuOf(service) - cpuOf(bare), 0)} µs over the bare server (its HTTP layers, answers, log lines and review).`,
  );
  console.log(
    `  the whole handler (nesting scan and JSON.parse included), wall time per request: ${fmt(inLoop.alone, 0)} µs back to back, ${fmt(inLoop.touched, 0)} µs with ${touchMiB} MiB of other memory touched between reviews (×${fmt(inLoop.touched / inLoop.alone, 2)}).`,
  );
  const budget = goalBudget({ bare: cpuOf(bare), recalled: cpuOf(fixedRecorded), reviewing: cpuOf(service) });
  console.log(
    [
      `goal's budget: at ${WEBHOOK_GOAL_RATIO} of the bare rate a server may spend ${fmt(budget.perRequest, 0)} µs per request here, ${fmt(budget.beyondBare, 0)} beyond the bare server's ${fmt(cpuOf(bare), 0)};`,
      `  sending serve's answers without reviewing takes ${fmt(budget.answers, 0)} of it, which leaves ${fmt(budget.forReview, 0)} µs for the review;`,
      `  reviewing took ${fmt(budget.review, 0)} µs more in the server (serve's handler beyond JSON.parse in the loop above, × the calibration: ${fmt(inLoop.beyondParse * perHandlerUs, 0)}).`,
    ].join("\n"),
  );
  for (const dist of args["compare-dist"] ?? []) {
    const { ours, other } = await inProcessCompared(dist);
    const differences = ours.map((t, round) => t - (other[round] ?? NaN));
    const difference = median(differences);
    console.log(
      `  the whole handler in process, this build and ${dist} in turn, 20 rounds: ${fmt(median(ours), 1)} vs ${fmt(median(other), 1)} µs per request (medians); this build minus the other, round by round: median ${difference >= 0 ? "+" : "−"}${fmt(Math.abs(difference), 1)} µs, this build the cheaper in ${differences.filter((d) => d < 0).length} of ${differences.length} rounds.`,
    );
  }
  process.exit(0);
}
const ours = await measured(service);
const ceiling = await measured(bare);
console.log(`\nmax throughput (${connections} connections, ${seconds}s each):`);
console.log(
  `  bare HTTPS server: ${fmt(ceiling.requests.average, 0)} req/s (p50 ${ceiling.latency.p50} ms, p99 ${ceiling.latency.p99} ms), ${cpuText(ceiling)}`,
);
console.log(
  `  s3-vpce-guard:     ${fmt(ours.requests.average, 0)} req/s (p50 ${ours.latency.p50} ms, p99 ${ours.latency.p99} ms), non-2xx ${ours.non2xx}, errors ${ours.errors}, ${cpuText(ours)}`,
);
console.log(
  `  ratio: ${fmt(ours.requests.average / ceiling.requests.average, 2)} (goal ≥ ${WEBHOOK_GOAL_RATIO}); CPU per request, bare / ours: ${fmt((ceiling.cpuUser + ceiling.cpuSystem) / (ours.cpuUser + ours.cpuSystem), 2)}`,
);

const halfRate = args.rate ? Number(args.rate) : Math.max(1, Math.floor(ours.requests.average / 2));
// prom-client restarts its event-loop delay histogram at every scrape: the last one before the
// run starts it afresh, the first one after reads it.
const gcBefore = loopDelayOf(await scrape(service.metricsPort));
const bucketsBefore = await durationBuckets(service.metricsPort);
const oursPaced = await pacedLatency(service.port, halfRate, seconds);
const loopDelay = loopDelayOf(await scrape(service.metricsPort), gcBefore);
const bucketsAfter = await durationBuckets(service.metricsPort);
const barePaced = await pacedLatency(bare.port, halfRate, seconds);
console.log(
  `\nlatency at ${args.rate ? "a fixed" : "half our max"} rate (${halfRate} req/s open loop, ${seconds}s measured after 2 s unmeasured to open the connections):`,
);
console.log(
  `  s3-vpce-guard: p50 ${fmt(oursPaced.p50, 2)} ms, p99 ${fmt(oursPaced.p99, 2)} ms, max ${fmt(oursPaced.max, 1)} ms, errors ${oursPaced.errors} (goal p99 ≤ 5 ms); the client sent late by p99 ${fmt(oursPaced.lateP99, 2)} ms, max ${fmt(oursPaced.lateMax, 1)} ms`,
);
console.log(
  `  s3-vpce-guard server-side time (admission_duration_seconds buckets): p50 ${bucketQuantile(bucketsBefore, bucketsAfter, 0.5)}, p99 ${bucketQuantile(bucketsBefore, bucketsAfter, 0.99)}`,
);
console.log(
  `  s3-vpce-guard event-loop delay during the run (prom-client, 10 ms resolution): p99 ${fmt(1000 * (loopDelay.p99 ?? Number.NaN), 1)} ms, max ${fmt(1000 * (loopDelay.max ?? Number.NaN), 1)} ms; GC pauses ${fmt(1000 * loopDelay.gcSeconds, 0)} ms in ${loopDelay.gcCount} collections (${loopDelay.majorCount} major)`,
);
console.log(
  `  bare server:   p50 ${fmt(barePaced.p50, 2)} ms, p99 ${fmt(barePaced.p99, 2)} ms, max ${fmt(barePaced.max, 1)} ms; the client sent late by p99 ${fmt(barePaced.lateP99, 2)} ms, max ${fmt(barePaced.lateMax, 1)} ms`,
);
console.log(
  "  (latency counts from the scheduled send time, so the client's own lateness is part of it; a late client then sends a burst)",
);

// --requests 0: no long run (throughput and latency only).
if (totalRequests > 0) {
  const long = await longRun(service, totalRequests);
  console.log(
    `\nlong run: ${long.requests} requests in ${fmt(long.seconds, 0)} s (${fmt(long.rps, 0)} req/s), non-2xx ${long.non2xx}, errors ${long.errors}`,
  );
  console.log(
    `  RSS MiB: start ${fmt(long.rssStart)}, first quarter avg ${fmt(long.rssFirstQuarter)}, last quarter avg ${fmt(long.rssLastQuarter)}, max ${fmt(long.rssMax)}; trend over the second half ${fmt(long.slopeMiBPerMin, 2)} MiB/min (${long.samples} samples)`,
  );
  console.log(
    `  V8 heap used MiB: first quarter avg ${fmt(long.heapFirstQuarter)}, last quarter avg ${fmt(long.heapLastQuarter)}, max ${fmt(long.heapMax)}`,
  );
  console.log(`  RSS over the run (requests estimated from the elapsed time at the average rate):\n${long.plot}`);
}
console.log(`\nother processes at end (top CPU):\n${otherLoad()}`);
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
if (profileDir) {
  // Only the max-throughput runs (the samples taken between their start and end): the same
  // steady state as "server CPU per request" above, without start-up, the inventory's fill,
  // warm-ups and the paced step.
  for (const child of [service.child, bare.child]) {
    child.kill("SIGTERM");
    await new Promise((/** @type {(value?: unknown) => void} */ done) => child.once("exit", done));
  }
  for (const [name, child, run] of /** @type {const} */ ([
    ["s3-vpce-guard", service.child, ours],
    ["bare HTTPS server", bare.child, ceiling],
  ])) {
    const file = readdirSync(profileDir).find((f) => f.endsWith(`.${child.pid}.0.001.cpuprofile`));
    if (file === undefined) console.log(`\nno CPU profile of ${name} (pid ${child.pid}) in ${profileDir}`);
    else
      console.log(
        `\nCPU of ${name} by layer during its max-throughput run, ${run.requests.total} requests (${join(profileDir, file)}):\n${breakdownTable(join(profileDir, file), run.requests.total, run.window)}`,
      );
  }
}
process.exit(0);
