// @ts-check
// The reconciler's in-process costs at 10,000 resources (no API server): a full audit
// (time, RSS), building every PolicyReport, and the time from one change (an onChange
// event, as ClusterInventory delivers it) to the updated report of the affected namespace.
//
// Corpus: 5,000 S3 Gateway endpoints (ACK and Upjet `.m`, alternating) and 5,000 ACK
// buckets whose policies admit only their endpoint (cross-resource rules do real work),
// spread over 50 namespaces; every 10th bucket carries a violation.
//
// Usage: npm run build && node --max-semi-space-size=4 --expose-gc bench/reconcile-audit.mjs [endpoints=5000] [changes=30]
// (the CLI's entry point runs with --max-semi-space-size=4, so that is the comparable setting)
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const dist = join(root, "dist/src");
if (!existsSync(join(dist, "app/audit/audit.js"))) throw new Error("build first: npm run build");
/** @param {string} path */
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { adapt } = await load("core/adapters/index.js");
const { adapterContext } = await load("core/adapters/inventory-adapter.js");
const { defaultConfig } = await load("cli/config/schema.js");
const { Inventory } = await load("core/inventory/inventory.js");
const { Auditor } = await load("app/audit/audit.js");
const { ResultStore } = await load("app/audit/results.js");
const { buildReports } = await load("app/audit/policy-reports.js");

const count = Number(process.argv[2] ?? 5000);
const changes = Number(process.argv[3] ?? 30);
const namespaces = 50;
/** @type {(n: number, width: number) => string} */
const hex = (n, width) => n.toString(16).padStart(width, "0");
/** @type {(i: number) => string} */
const nsOf = (i) => `team-${i % namespaces}`;
/** @type {(i: number) => string} */
const vpce = (i) => `vpce-${hex(i, 17)}`;
/** @type {(bucket: string, actions?: string[]) => string} */
const grant = (bucket, actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: "*", Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
  });

/**
 * @param {number} i
 * @param {string} [policy]
 */
function endpoint(i, policy = grant(`bench-bucket-${i}`)) {
  const vpcId = `vpc-${hex(i, 17)}`;
  if (i % 2 === 0) {
    return {
      apiVersion: "ec2.services.k8s.aws/v1alpha1",
      kind: "VPCEndpoint",
      metadata: { name: `s3-gw-${i}`, namespace: nsOf(i), uid: `uid-e-${i}`, annotations: { "services.k8s.aws/region": "us-east-1" } },
      spec: { serviceName: "com.amazonaws.us-east-1.s3", vpcID: vpcId, routeTableIDs: [`rtb-${hex(i, 17)}`], policyDocument: policy },
      status: { vpcEndpointID: vpce(i) },
    };
  }
  return {
    apiVersion: "ec2.aws.m.upbound.io/v1beta1",
    kind: "VPCEndpoint",
    metadata: { name: `s3-gw-${i}`, namespace: nsOf(i), uid: `uid-e-${i}`, annotations: { "crossplane.io/external-name": vpce(i) } },
    spec: {
      forProvider: { region: "us-east-1", serviceName: "com.amazonaws.us-east-1.s3", vpcId, routeTableIds: [`rtb-${hex(i, 17)}`], policy },
    },
  };
}

/** @param {number} i */
function bucket(i) {
  const name = `bench-bucket-${i}`;
  const statements = [
    {
      Sid: "DenyUnlessEndpoint",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
      Condition: { StringNotEquals: { "aws:SourceVpce": vpce(i) } },
    },
    ...(i % 10 === 0
      ? [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: `arn:aws:s3:::${name}/*`,
            Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
          },
        ]
      : []),
  ];
  return {
    apiVersion: "s3.services.k8s.aws/v1alpha1",
    kind: "Bucket",
    metadata: { name, namespace: nsOf(i), uid: `uid-b-${i}`, annotations: { "services.k8s.aws/region": "us-east-1" } },
    spec: { name, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
  };
}

const config = defaultConfig();
const inventory = new Inventory();
const ctx = adapterContext(inventory, config);
/** @param {unknown} raw */
const model = (raw) => {
  const r = adapt(raw, ctx);
  if (r.status !== "adapted") throw new Error(`not adapted: ${JSON.stringify(r)}`);
  return r.object;
};

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const baseRss = rssMb();
let t = performance.now();
for (let n = 0; n < namespaces; n++) inventory.upsert(model({ apiVersion: "v1", kind: "Namespace", metadata: { name: `team-${n}` } }));
for (let i = 0; i < count; i++) {
  inventory.upsert(model(endpoint(i)));
  inventory.upsert(model(bucket(i)));
}
inventory.complete = true;
const fillMs = performance.now() - t;

const results = new ResultStore();
/** @type {(() => void) | undefined} */
let resolveBatch;
const auditor = new Auditor({ inventory, config, results, debounceMs: 0, onResultsChanged: () => resolveBatch?.() });

globalThis.gc?.();
// How long admission requests in the same process could wait behind the audit.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
t = performance.now();
const stats = await auditor.fullAudit();
const auditMs = performance.now() - t;
loopDelay.disable();
const auditRss = rssMb();
const byRule = new Map();
for (const { finding } of results.allFindings()) byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);
const findings = [...byRule.values()].reduce((a, b) => a + b, 0);
globalThis.gc?.();
const heapAfterGcMb = process.memoryUsage().heapUsed / 2 ** 20;

t = performance.now();
let reportBytes = 0;
for (const scope of results.scopes())
  for (const report of buildReports(scope, results.entries(scope))) reportBytes += JSON.stringify(report.object).length;
const reportsMs = performance.now() - t;

// Change → report: narrow one endpoint's policy so its bucket's policy becomes unreachable
// (effective-access on the bucket: a dependent in the same namespace), then put it back.
auditor.activate();
/** @type {number[]} */
const latencies = [];
for (let k = 0; k < changes; k++) {
  const i = (Math.floor(k / 2) * 7919) % count; // narrow, then restore the same endpoint
  const narrowed = k % 2 === 0;
  const raw = endpoint(i, narrowed ? grant(`bench-bucket-${i}`, ["s3:GetObject"]) : grant(`bench-bucket-${i}`));
  const started = performance.now();
  const object = model(raw);
  const previous = inventory.upsert(object);
  const done = /** @type {Promise<void>} */ (new Promise((r) => (resolveBatch = r)));
  auditor.handleChange({ type: "upsert", object, previous });
  await done;
  /** @type {Array<{ object: { results: Array<{ resources: [{ name: string }]; rule: string }> } }>} */
  const reports = buildReports(nsOf(i), results.entries(nsOf(i)));
  latencies.push(performance.now() - started);
  const hasFinding = reports
    .flatMap((r) => r.object.results)
    .some((r) => r.resources[0].name === `bench-bucket-${i}` && r.rule === "effective-access");
  if (hasFinding !== narrowed) throw new Error(`change ${k}: expected effective-access on bench-bucket-${i} to be ${narrowed}`);
}
latencies.sort((a, b) => a - b);
/** @type {(p: number) => number} */
const pct = (p) => /** @type {number} */ (latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]);
const peakRss = process.resourceUsage().maxRSS / 1024;

console.log(
  `node ${process.version}; ${inventory.size} inventory objects (${stats.objects} audited) in ${namespaces} namespaces; fill ${fillMs.toFixed(0)} ms`,
);
console.log(
  `full audit: ${auditMs.toFixed(0)} ms, ${findings} findings (${[...byRule].map(([r, n]) => `${r} ${n}`).join(", ")}); longest event-loop stall during it ${(loopDelay.max / 1e6).toFixed(0)} ms`,
);
console.log(
  `memory: RSS after audit ${auditRss.toFixed(0)} MB (process start ${baseRss.toFixed(0)} MB), peak ${peakRss.toFixed(0)} MB${globalThis.gc ? `, live heap after GC ${heapAfterGcMb.toFixed(0)} MB` : ""} (run with --max-semi-space-size=4 --expose-gc, as the CLI runs, for the comparable number)`,
);
console.log(
  `all ${[...results.scopes()].length} PolicyReports built: ${reportsMs.toFixed(0)} ms, ${(reportBytes / 1024).toFixed(0)} KiB of JSON`,
);
console.log(
  `change → updated namespace report (${changes} changes, batch window 0; the reconciler's default window adds 200 ms): median ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, max ${/** @type {number} */ (latencies.at(-1)).toFixed(1)} ms`,
);
console.log(`goals: full audit <= 2 s and <= 250 MB; change → report <= 1 s`);
