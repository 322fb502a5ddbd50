// @ts-check
// Sends fuzzed AdmissionReviews (default 1,000,000) through a running `s3-vpce-guard serve`
// and reports what a production operator cares about: did it crash (goal 0), did every
// request get a well-formed answer, RSS and V8 heap before and after, and whether a marker
// planted in every object's policy ever reached the info-level log (goal 0: bodies are
// never logged).
//
// Bodies come from fast-check with a fixed seed, generated in chunks as the run goes (no
// two chunks alike): mutated real reviews of every family, random policies inside real
// reviews, arbitrary JSON, truncated or corrupted JSON text, and now and then a body over
// the 3 MiB limit.
//
// Every --adversarial'th request (default 1 in 50) is instead one of the adversarial families of
// bench/adversarial.mjs (ReDoS-shaped patterns, huge lists, deep nesting, 700 KB patterns, huge
// uids, …); the run also reports the server's largest event-loop delay (prom-client's
// nodejs_eventloop_lag_max_seconds, from perf_hooks.monitorEventLoopDelay, read after every chunk).
//
// Usage: npm run build && node bench/fuzz-webhook.mjs [--requests 1000000] [--concurrency 16] [--seed 8] [--adversarial 50]
//        [--inventory 1000] [--heap-mib 192] [--node-flags="FLAGS"] [--memory-cgroup DIR]  (run serve inside a memory cgroup the caller made, e.g. with
//        memory.limit_in_bytes / memory.max = the chart's 512Mi limit: an OOM kill is a crash)
import { Buffer } from "node:buffer";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { HTTP_FAMILIES, REVIEW_FAMILIES } from "./adversarial.mjs";
import { denyUnlessEndpoint, endpointManifest, vpce } from "./corpus.mjs";
import {
  IMAGE_NODE_FLAGS,
  admissionReviewFor,
  builtCli,
  heapMiB,
  preloadedServe,
  rssMiB,
  scrape,
  scratch,
  startProcess,
} from "./webhook-process.mjs";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "1000000" },
    concurrency: { type: "string", default: "16" },
    seed: { type: "string", default: "8" },
    chunk: { type: "string", default: "5000" },
    dist: { type: "string", default: "dist" },
    "memory-cgroup": { type: "string" },
    // V8 old-space cap of serve in MiB (the chart sets 3/8 of its memory limit: 192 for 512Mi).
    "heap-mib": { type: "string" },
    // V8 flags beside --max-old-space-size; default: the image's entry point (Dockerfile).
    "node-flags": { type: "string", default: IMAGE_NODE_FLAGS },
    // Endpoints preloaded into serve's inventory (the webhook-load benchmark uses 10,000 objects).
    inventory: { type: "string", default: "1000" },
    // One request in this many is an adversarial one (0: none).
    adversarial: { type: "string", default: "50" },
  },
});
const total = Number(args.requests);
const concurrency = Number(args.concurrency);
const baseSeed = Number(args.seed);
const chunkSize = Number(args.chunk);
const MARKER = "FUZZ-MARKER-7f3a9c";

// --- seeds: one real review per family and kind, each carrying the marker ----------------
/** @param {string} bucket */
const markedPolicy = (bucket) => {
  const policy = denyUnlessEndpoint(bucket, vpce(1));
  policy.Statement.push({
    Sid: MARKER,
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${bucket}/*`,
  });
  return policy;
};
const endpoint = endpointManifest(1);
endpoint.spec.forProvider.policyDocument = JSON.stringify(markedPolicy("bench-bucket-1"));
const seedObjects = [
  {
    apiVersion: "s3.aws.upbound.io/v1beta1",
    kind: "BucketPolicy",
    metadata: { name: "p" },
    spec: { forProvider: { region: "us-east-1", bucket: "bench-bucket-1", policy: JSON.stringify(markedPolicy("bench-bucket-1")) } },
  },
  {
    apiVersion: "s3.aws.m.upbound.io/v1beta1",
    kind: "BucketPolicy",
    metadata: { name: "p", namespace: "team-a" },
    spec: { forProvider: { region: "us-east-1", bucket: "bench-bucket-1", policy: JSON.stringify(markedPolicy("bench-bucket-1")) } },
  },
  {
    apiVersion: "s3.aws.crossplane.io/v1alpha3",
    kind: "BucketPolicy",
    metadata: { name: "c" },
    spec: { forProvider: { region: "us-east-1", bucketName: "bench-bucket-1", rawPolicy: JSON.stringify(markedPolicy("bench-bucket-1")) } },
  },
  {
    apiVersion: "s3.services.k8s.aws/v1alpha1",
    kind: "Bucket",
    metadata: { name: "a", namespace: "team-a", annotations: { "services.k8s.aws/region": "us-east-1" } },
    spec: { name: "bench-bucket-1", policy: JSON.stringify(markedPolicy("bench-bucket-1")) },
  },
  endpoint,
  {
    apiVersion: "ec2.aws.upbound.io/v1beta1",
    kind: "VPCEndpoint",
    metadata: { name: "e" },
    spec: {
      forProvider: {
        region: "us-east-1",
        serviceName: "com.amazonaws.us-east-1.s3",
        vpcEndpointType: "Interface",
        policy: JSON.stringify(markedPolicy("b")),
      },
    },
  },
];
const seedReviews = [
  ...seedObjects.map((o) => admissionReviewFor(o)),
  admissionReviewFor(endpoint, "UPDATE", endpoint),
  admissionReviewFor(null, "DELETE", endpoint),
];

/**
 * Replaces the value at `path` (indices into each level's entries) with `replacement`.
 * @param {unknown} tree
 * @param {number[]} path
 * @param {unknown} replacement
 * @returns {unknown}
 */
function mutate(tree, path, replacement) {
  if (path.length === 0 || tree === null || typeof tree !== "object") return replacement;
  const entries = Object.entries(tree);
  if (entries.length === 0) return replacement;
  const [key, value] = /** @type {[string, unknown]} */ (entries[/** @type {number} */ (path[0]) % entries.length]);
  /** @type {any} */
  const copy = Array.isArray(tree) ? [...tree] : { ...tree };
  copy[key] = mutate(value, path.slice(1), replacement);
  return copy;
}

const statement = fc.record(
  {
    Sid: fc.oneof(fc.constant(MARKER), fc.string()),
    Effect: fc.oneof(fc.constantFrom("Allow", "Deny", "allow"), fc.jsonValue()),
    Principal: fc.oneof(fc.constant("*"), fc.record({ AWS: fc.oneof(fc.constant("*"), fc.string()) }), fc.jsonValue()),
    Action: fc.oneof(fc.constantFrom("s3:*", "s3:GetObject", "*", "s3:Get*"), fc.array(fc.string(), { maxLength: 3 })),
    Resource: fc.oneof(fc.constantFrom("*", "arn:aws:s3:::bench-bucket-1/*", "arn:aws:s3:::bench-bucket-1"), fc.string()),
    Condition: fc.dictionary(
      fc.constantFrom("StringEquals", "StringNotEquals", "IpAddress", "NotIpAddress", "ForAnyValue:StringLike", "Bogus"),
      fc.dictionary(
        fc.constantFrom("aws:SourceVpce", "aws:sourceVpc", "aws:SourceIp", "aws:VpcSourceIp", "s3:prefix"),
        fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.jsonValue()),
      ),
    ),
  },
  { requiredKeys: [] },
);
const policyText = fc.oneof(
  fc.array(statement, { maxLength: 4 }).map((Statement) => JSON.stringify({ Version: "2012-10-17", Statement })),
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);
/**
 * Where each seed object keeps its policy text.
 * @param {any} object
 * @returns {[string]}
 */
const policyPath = (object) =>
  object?.kind === "VPCEndpoint"
    ? object.spec.forProvider.policyDocument !== undefined
      ? ["policyDocument"]
      : ["policy"]
    : object?.spec?.forProvider?.rawPolicy !== undefined
      ? ["rawPolicy"]
      : ["policy"];

/** @type {(review: any, uid: string) => any} */
const withUid = (review, uid) =>
  review && typeof review === "object" && review.request && typeof review.request === "object" && !Array.isArray(review.request)
    ? { ...review, request: { ...review.request, uid } }
    : review;

const seedIndex = fc.nat(seedReviews.length - 1);
const fuzzedBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(seedIndex, fc.array(fc.nat(20), { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }))
      .map(([i, path, v]) => ({ kind: "mutated", review: mutate(seedReviews[i], path, v) })),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.nat(seedObjects.length - 1), policyText).map(([i, text]) => {
      const object = JSON.parse(JSON.stringify(seedObjects[i]));
      const holder = object.kind === "Bucket" && object.apiVersion.startsWith("s3.services") ? object.spec : object.spec.forProvider;
      holder[policyPath(object)[0]] = text;
      return { kind: "policy", review: admissionReviewFor(object) };
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: "json", review: v })) },
  {
    weight: 1,
    arbitrary: fc.tuple(seedIndex, fc.nat(), fc.string({ maxLength: 4 })).map(([i, at, junk]) => {
      const text = JSON.stringify(seedReviews[i]);
      const cut = at % text.length;
      return { kind: "text", text: text.slice(0, cut) + junk + (at % 2 === 0 ? "" : text.slice(cut + 1)) };
    }),
  },
);

// One body per adversarial family, made once (some are megabytes); `declaredLength` ones need
// a lying header and are left to test/webhook/adversarial.test.ts.
const adversarialEvery = Number(args.adversarial);
/** @typedef {{ kind: string; uid: string | undefined; body: string }} Entry */
/** @type {Entry[]} */
const adversarial = [
  ...Object.entries(REVIEW_FAMILIES).map(([name, make]) => ({ kind: `adversarial:${name}`, uid: "adv-0", body: make(0) })),
  ...Object.entries(HTTP_FAMILIES)
    .map(([name, make]) => ({ name, ...make(0) }))
    .filter((family) => family.declaredLength === undefined)
    .map((family) => ({ kind: `adversarial:${family.name}`, uid: undefined, body: family.body })),
];
// Bodies refused before review (request fields over Kubernetes' limits, nesting deeper than 1000).
for (const entry of adversarial)
  if (entry.kind === "adversarial:huge-object-name" || entry.kind === "adversarial:deep-spec-field") entry.uid = undefined;

let generated = 0;
/**
 * The next chunk of bodies, from its own seed: the whole run is reproducible.
 * @param {number} chunkNumber
 * @returns {Entry[]}
 */
function nextChunk(chunkNumber) {
  const samples = fc.sample(fuzzedBody, { seed: baseSeed + chunkNumber, numRuns: chunkSize });
  return samples.map((sample, k) => {
    const n = generated + k;
    if (adversarialEvery > 0 && n % adversarialEvery === adversarialEvery - 1)
      return /** @type {Entry} */ (adversarial[Math.floor(n / adversarialEvery) % adversarial.length]);
    // One in 20,000: a body over the 3 MiB limit (answered 413 without being parsed).
    if (n % 20_000 === 19_999)
      return {
        kind: "huge",
        uid: undefined,
        body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"x":"${"a".repeat(3.2 * 1048576)}"}}`,
      };
    if ("text" in sample) return { kind: sample.kind, uid: undefined, body: sample.text };
    const uid = `fuzz-${n}`;
    const review = withUid(sample.review, uid);
    const sentUid = review?.request?.uid === uid ? uid : undefined;
    return { kind: sample.kind, uid: sentUid, body: JSON.stringify(review) ?? "null" };
  });
}

// --- the server ---------------------------------------------------------------------
const work = scratch("s3vg-fuzz-");
const { generateCertificates, writeCertificates } = await builtCli(args.dist);
const bundle = generateCertificates({ names: ["127.0.0.1", "localhost"], days: 1 });
const files = await writeCertificates(join(work.dir, "pki"), bundle);
const inventoryFile = join(work.dir, "inventory.json");
writeFileSync(
  inventoryFile,
  JSON.stringify({ apiVersion: "v1", kind: "List", items: Array.from({ length: Number(args.inventory) }, (_, i) => endpointManifest(i)) }),
);
const nodeFlags = [
  ...args["node-flags"].split(" ").filter(Boolean),
  ...(args["heap-mib"] ? [`--max-old-space-size=${Number(args["heap-mib"])}`] : []),
];
const service = await startProcess(
  work,
  "webhook",
  [
    ...nodeFlags,
    ...preloadedServe(
      args.dist,
      [inventoryFile],
      ["--tls-cert", files.cert, "--tls-key", files.key, "--port", "0", "--metrics-port", "0", "--host", "127.0.0.1", "--no-kube"],
    ),
  ],
  {},
  args["memory-cgroup"],
);
let crashed = false;
service.child.on("exit", (code, signal) => {
  crashed = true;
  console.error(`webhook exited during the run: code ${code}, signal ${signal}`);
});

// --- the run ------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: bundle.caPem });
const tally = {
  answered: 0,
  allowed: 0,
  denied: 0,
  status400: 0,
  status413: 0,
  unexpectedStatus: 0,
  malformedAnswer: 0,
  uidMismatch: 0,
  connectionErrors: 0,
};
/** @type {Record<string, number>} */
const byKind = {};
/** @type {string[]} */
const problems = [];
/** @type {(what: string, entry: Entry, detail: string) => void} */
const note = (what, entry, detail) => {
  if (problems.length < 20) problems.push(`${what} (${entry.kind}): ${detail} — body starts ${entry.body.slice(0, 160)}`);
};

/**
 * @param {Entry} entry
 * @returns {Promise<void>}
 */
function send(entry) {
  return new Promise((done) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: service.port,
        method: "POST",
        path: "/validate",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(entry.body) },
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          tally.answered++;
          byKind[entry.kind] = (byKind[entry.kind] ?? 0) + 1;
          let answer;
          try {
            answer = JSON.parse(Buffer.concat(chunks).toString());
          } catch {
            tally.malformedAnswer++;
            note("answer is not JSON", entry, `HTTP ${res.statusCode}`);
            return done();
          }
          if (res.statusCode === 200) {
            const response = answer?.response;
            if (
              answer?.apiVersion !== "admission.k8s.io/v1" ||
              answer?.kind !== "AdmissionReview" ||
              typeof response?.allowed !== "boolean"
            ) {
              tally.malformedAnswer++;
              note("malformed AdmissionReview answer", entry, JSON.stringify(answer).slice(0, 200));
            } else if (entry.uid !== undefined && response.uid !== entry.uid) {
              tally.uidMismatch++;
              note("uid not echoed", entry, `${response.uid} ≠ ${entry.uid}`);
            } else if (response.allowed) tally.allowed++;
            else tally.denied++;
          } else if (res.statusCode === 400 || res.statusCode === 413) {
            tally[/** @type {"status400" | "status413"} */ (`status${res.statusCode}`)]++;
            if (typeof answer?.message !== "string" || answer.message.length < 10) {
              tally.malformedAnswer++;
              note("error without a message", entry, JSON.stringify(answer).slice(0, 200));
            }
          } else {
            tally.unexpectedStatus++;
            note(`HTTP ${res.statusCode}`, entry, JSON.stringify(answer).slice(0, 200));
          }
          done();
        });
      },
    );
    req.on("error", (error) => {
      tally.connectionErrors++;
      note("connection error", entry, String(error));
      done();
    });
    req.end(entry.body);
  });
}

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`fuzzing ${total.toLocaleString("en")} AdmissionReviews, seed ${baseSeed}, ${concurrency} concurrent, chunks of ${chunkSize}`);
const rssStart = rssMiB(service.child.pid);
const heapStart = await heapMiB(service.metricsPort);
const started = performance.now();
let rssAfterWarmup;
let heapAfterWarmup;
let rssMax = rssStart;
let loopDelayMaxMs = 0;
const readLoopDelay = async () => {
  const text = await scrape(service.metricsPort, "/metrics").catch(() => "");
  const value = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN);
  if (Number.isFinite(value)) loopDelayMaxMs = Math.max(loopDelayMaxMs, value * 1000);
};
for (let chunk = 0; generated < total && !crashed; chunk++) {
  const entries = nextChunk(chunk).slice(0, total - generated);
  generated += entries.length;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < entries.length && !crashed) await send(/** @type {Entry} */ (entries[next++]));
    }),
  );
  if (crashed) break;
  rssMax = Math.max(rssMax, rssMiB(service.child.pid));
  await readLoopDelay();
  if (chunk === 9) {
    rssAfterWarmup = rssMiB(service.child.pid);
    heapAfterWarmup = await heapMiB(service.metricsPort);
  }
  if (generated % 100_000 < chunkSize) {
    const s = (performance.now() - started) / 1000;
    console.log(
      `  ${generated.toLocaleString("en")} sent, ${(generated / s).toFixed(0)} req/s, RSS ${rssMiB(service.child.pid).toFixed(1)} MiB`,
    );
  }
}
const seconds = (performance.now() - started) / 1000;
agent.destroy();

const healthy =
  !crashed &&
  (await scrape(service.metricsPort, "/metrics").then(
    () => true,
    () => false,
  ));
const rssEnd = crashed ? NaN : rssMiB(service.child.pid);
const heapEnd = crashed ? NaN : await heapMiB(service.metricsPort);
const log = readFileSync(service.log, "utf8");
const levels = [...log.matchAll(/"level":"(\w+)"/g)].map((m) => m[1]);
const markerInLog = log.split(MARKER).length - 1;

/** @type {(n: number | undefined) => string} */
const f = (n) => (Number.isFinite(n) ? /** @type {number} */ (n).toFixed(1) : String(n));
console.log(
  `\nsent ${generated.toLocaleString("en")} in ${seconds.toFixed(0)} s (${(generated / seconds).toFixed(0)} req/s); by generator: ${JSON.stringify(byKind)}`,
);
console.log(`answers: ${JSON.stringify(tally)}`);
console.log(`crashes: ${crashed ? 1 : 0}; process alive and metrics answering at the end: ${healthy}`);
console.log(`RSS MiB: start ${f(rssStart)}, after warm-up (50k) ${f(rssAfterWarmup)}, end ${f(rssEnd)}, max ${f(rssMax)}`);
console.log(`event loop: largest delay ${loopDelayMaxMs.toFixed(1)} ms (max of nodejs_eventloop_lag_max_seconds over the chunks)`);
console.log(`V8 heap used MiB: start ${f(heapStart)}, after warm-up ${f(heapAfterWarmup)}, end ${f(heapEnd)}`);
console.log(
  `log: ${levels.length} lines (${levels.filter((l) => l === "error" || l === "fatal").length} at error level or above); the policy marker appears ${markerInLog} times (goal 0)`,
);
if (problems.length > 0) console.log(`first problems:\n  ${problems.join("\n  ")}`);
const failed =
  crashed || tally.malformedAnswer + tally.uidMismatch + tally.unexpectedStatus + tally.connectionErrors > 0 || markerInLog > 0;
process.exit(failed ? 1 : 0);
