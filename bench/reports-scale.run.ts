// Reports and Events at fleet scale against the harness's real kube-apiserver + etcd, with the
// real `reconcile` process (dist/). Run through bench/reports-scale.sh (vitest runs this file
// for the harness's TypeScript; it asserts nothing, it measures and prints a table).
//
// Corpus (S3VG_SCALE_OBJECTS, default 10,000; a multiple of 4): sets of endpoint, route-table
// association, bucket and bucket policy. 60 % of the sets are namespaced Upjet `.m` kinds over
// 50 namespaces, 40 % cluster-scoped Upjet kinds. Violations: every 5th set's endpoint has no
// policy (endpoint-full-access, warn) and no association (gateway-without-route-tables, warn);
// every 7th set's bucket policy allows a private aws:SourceIp range (source-ip-condition,
// deny + warn).
//
// Prints: time to create the objects, time from the reconciler's start to every report written
// (the sum of the reports' fail + warn equal to the findings of its first full audit, and no
// report left over), report count and largest report, Events written, API requests in the
// first S3VG_SCALE_WINDOW_S seconds (default 300) after start by verb and resource (the API
// server's apiserver_request_total, minus this script's own requests), reconciler RSS; then a
// leader change (the process restarted): Events and requests in the new leader's first minute.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { it } from "vitest";
import type { KubeObject } from "../src/core/adapters/types.js";
import {
  freeLoopbackPort,
  rawKubeRequest,
  repoRoot,
  spawnManaged,
  startControlPlane,
  writeKubeConfigFile,
  type ControlPlane,
  type ManagedProcess,
} from "../test/harness/control-plane.js";
import { installCrds, objectPath } from "../test/harness/crds.js";
import {
  PRIVATE_SOURCE_IP_POLICY,
  denyUnlessEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
} from "../test/helpers/manifests.js";

const OBJECTS = Number(process.env.S3VG_SCALE_OBJECTS ?? 10_000);
const WINDOW_S = Number(process.env.S3VG_SCALE_WINDOW_S ?? 300);
const FAILOVER_S = Number(process.env.S3VG_SCALE_FAILOVER_S ?? 60);
const NAMESPACES = 50;
const REPORTS = "/apis/wgpolicyk8s.io/v1alpha2";
const OURS = `labelSelector=${encodeURIComponent("app.kubernetes.io/managed-by=s3-vpce-guard")}`;

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function corpusSet(i: number): KubeObject[] {
  const namespaced = i % 5 < 3;
  const namespace = namespaced ? `team-${i % NAMESPACES}` : undefined;
  const vpce = `vpce-${hex(i, 17)}`;
  const bucketName = `scale-bucket-${i}`;
  const openEndpoint = i % 5 === 0;
  const endpoint = upjetEndpoint(
    {
      name: `gw-${i}`,
      ...(namespace ? { namespace } : {}),
      annotations: { "crossplane.io/external-name": vpce },
      ...(openEndpoint
        ? {}
        : {
            policy: {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: "*",
                  Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                  Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`],
                },
              ],
            },
          }),
    },
    namespaced ? "namespaced" : "v1beta2",
  );
  const association = upjetRouteTableAssociation({
    name: `gw-${i}-rtb-${openEndpoint ? "other" : "own"}`,
    endpointRef: openEndpoint ? `missing-${i}` : `gw-${i}`,
    routeTableId: `rtb-${hex(i, 17)}`,
    namespaced,
    ...(namespace ? { namespace } : {}),
  });
  const bucket = upjetBucket({ name: bucketName, bucketName, namespaced, ...(namespace ? { namespace } : {}) });
  const policy = upjetBucketPolicy({
    name: `${bucketName}-policy`,
    bucket: bucketName,
    policy: i % 7 === 0 ? PRIVATE_SOURCE_IP_POLICY : denyUnlessEndpoint(bucketName, vpce),
    namespaced,
    ...(namespace ? { namespace } : {}),
  });
  return [endpoint, association, bucket, policy];
}

/** The bench's own requests, subtracted from the API server's counters. */
const own = new Map<string, number>();
function countOwn(verb: string, resource: string): void {
  own.set(`${verb} ${resource}`, (own.get(`${verb} ${resource}`) ?? 0) + 1);
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<unknown>, width = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** apiserver_request_total summed by "VERB resource" (subresources kept apart, e.g. "PATCH clusterpolicyreports"). */
async function requestCounts(controlPlane: ControlPlane): Promise<Map<string, number>> {
  const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: "/metrics" });
  countOwn("GET", "(non-resource)");
  const out = new Map<string, number>();
  for (const line of response.body.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels.verb} ${labels.resource || "(non-resource)"}${labels.subresource ? `/${labels.subresource}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.split(" ").at(-1)));
  }
  return out;
}

const diff = (after: Map<string, number>, before: Map<string, number>) =>
  new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0) - (own.get(k) ?? 0)] as const).filter(([, v]) => v > 0));

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

interface LogLine {
  component?: string;
  msg?: string;
  time?: string;
  [key: string]: unknown;
}
const logLines = (p: ManagedProcess): LogLine[] =>
  (existsSync(p.logFile) ? readFileSync(p.logFile, "utf8") : "")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);

interface ReportsSeen {
  count: number;
  largestBytes: number;
  largestName: string;
  results: number;
}

async function reportsNow(controlPlane: ControlPlane): Promise<ReportsSeen> {
  const seen: ReportsSeen = { count: 0, largestBytes: 0, largestName: "", results: 0 };
  for (const plural of ["clusterpolicyreports", "policyreports"]) {
    const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: `${REPORTS}/${plural}?${OURS}` });
    countOwn("LIST", plural);
    const { items } = JSON.parse(response.body) as {
      items: Array<{ metadata: { name: string; namespace?: string }; summary: { fail: number; warn: number }; results: unknown[] }>;
    };
    for (const item of items) {
      seen.count++;
      seen.results += item.summary.fail + item.summary.warn;
      const bytes = JSON.stringify(item).length;
      if (bytes > seen.largestBytes) {
        seen.largestBytes = bytes;
        seen.largestName = `${item.metadata.namespace ? `${item.metadata.namespace}/` : ""}${item.metadata.name}`;
      }
    }
  }
  return seen;
}

async function ourEventCount(controlPlane: ControlPlane): Promise<number> {
  const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: `/api/v1/events?${OURS}` });
  countOwn("LIST", "events");
  return (JSON.parse(response.body) as { items: unknown[] }).items.length;
}

function startReconciler(
  controlPlane: ControlPlane,
  kubeconfig: string,
  identity: string,
  metricsPort: number,
  healthPort: number,
): ManagedProcess {
  const cli = path.join(repoRoot, "dist/src/cli/main.js");
  return spawnManaged(
    identity,
    process.execPath,
    [
      "--max-semi-space-size=4",
      cli,
      "reconcile",
      "--metrics-port",
      String(metricsPort),
      "--health-port",
      String(healthPort),
      "--host",
      "127.0.0.1",
      "--lease-namespace",
      "default",
      "--identity",
      identity,
    ],
    path.join(controlPlane.dataDir, `${identity}.log`),
    {
      env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: "info" },
    },
  );
}

const table = (rows: Array<[string, string]>) =>
  ["| measure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
const top = (counts: Map<string, number>, n = 12) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join("; ");

it(
  `reports and Events with ${OBJECTS} objects`,
  async () => {
    const rows: Array<[string, string]> = [];
    const controlPlane = await startControlPlane({ startTimeoutMs: 300_000 });
    let first: ManagedProcess | undefined;
    let second: ManagedProcess | undefined;
    try {
      await installCrds(controlPlane.kubeConfig);
      for (let n = 0; n < NAMESPACES; n++)
        await rawKubeRequest(controlPlane.kubeConfig, {
          method: "POST",
          path: "/api/v1/namespaces",
          body: { apiVersion: "v1", kind: "Namespace", metadata: { name: `team-${n}` } },
        });
      const sets = [...Array(Math.ceil(OBJECTS / 4)).keys()];
      const createStart = performance.now();
      let failed = 0;
      await inParallel(sets, async (i) => {
        for (const o of corpusSet(i)) {
          const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "POST", path: objectPath(o), body: o });
          if (response.statusCode >= 300) failed++;
        }
      });
      const createS = (performance.now() - createStart) / 1000;
      rows.push(["objects created", `${sets.length * 4 - failed} in ${createS.toFixed(1)} s (${failed} failed)`]);
      console.log(`reports-scale: ${rows.at(-1)!.join(": ")}`);

      const kubeconfig = writeKubeConfigFile(controlPlane);
      own.clear();
      const before = await requestCounts(controlPlane);
      const started = performance.now();
      first = startReconciler(controlPlane, kubeconfig, "scale-a", await freeLoopbackPort(), await freeLoopbackPort());
      const firstPid = first.child.pid!;

      // Time to all reports written: the reports' fail + warn add up to the first full audit's findings.
      let audit: LogLine | undefined;
      let seen: ReportsSeen = { count: 0, largestBytes: 0, largestName: "", results: 0 };
      let writtenS = NaN;
      while ((performance.now() - started) / 1000 < WINDOW_S) {
        audit ??= logLines(first).find((l) => l.component === "reconciler" && l.msg === "full audit done");
        if (audit) {
          seen = await reportsNow(controlPlane);
          if (seen.results === Number(audit.findings)) {
            writtenS = (performance.now() - started) / 1000;
            break;
          }
        }
        await sleep(500);
      }
      const lines = logLines(first);
      const at = (component: string, msg: string) => {
        const line = lines.find((l) => l.component === component && l.msg === msg);
        const start = lines[0]?.time;
        return line?.time && start ? `${((Date.parse(line.time) - Date.parse(start)) / 1000).toFixed(1)} s` : "n/a";
      };
      rows.push([
        "leader / inventory synced (from process start)",
        `${at("lease", "became the leader")} / ${at("inventory", "first sync complete")}`,
      ]);
      rows.push([
        "first full audit",
        `${audit?.objects ?? "?"} objects, ${audit?.findings ?? "?"} findings, ${audit?.durationMs ?? "?"} ms`,
      ]);
      rows.push([
        "all reports written (from process start)",
        Number.isNaN(writtenS)
          ? `not within ${WINDOW_S} s (${seen.results} of ${audit?.findings ?? "?"} results)`
          : `${writtenS.toFixed(1)} s`,
      ]);
      rows.push([
        "reports",
        `${seen.count}, largest ${(seen.largestBytes / 1024).toFixed(0)} KiB (${seen.largestName}), ${seen.results} results (none omitted)`,
      ]);
      rows.push(["reconciler RSS after reports written", `${rssMiB(firstPid)} MiB`]);

      const remaining = WINDOW_S * 1000 - (performance.now() - started);
      if (remaining > 0) await sleep(remaining);
      const window = diff(await requestCounts(controlPlane), before);
      const total = [...window.values()].reduce((a, b) => a + b, 0);
      const events = await ourEventCount(controlPlane);
      rows.push([`API requests in the first ${WINDOW_S} s`, `${total}: ${top(window)}`]);
      rows.push(["Events written (one per offending object)", String(events)]);
      rows.push([`reconciler RSS at ${WINDOW_S} s`, `${rssMiB(firstPid)} MiB`]);

      // Leader change: the process stops (releases the Lease), a new one takes over.
      await first.stop(15_000);
      own.clear();
      const beforeFailover = await requestCounts(controlPlane);
      const failoverStart = performance.now();
      second = startReconciler(controlPlane, kubeconfig, "scale-b", await freeLoopbackPort(), await freeLoopbackPort());
      await sleep(FAILOVER_S * 1000);
      const failover = diff(await requestCounts(controlPlane), beforeFailover);
      const eventsAfter = await ourEventCount(controlPlane);
      const bAudit = logLines(second).find((l) => l.component === "reconciler" && l.msg === "full audit done");
      rows.push([
        `leader change: first ${FAILOVER_S} s of the new leader`,
        `full audit ${bAudit ? "done" : "not done"} after ${((performance.now() - failoverStart) / 1000).toFixed(0)} s; new Events ${eventsAfter - events}; POST events ${failover.get("POST events") ?? 0}; report writes (APPLY/DELETE) ${["APPLY", "PATCH", "DELETE"].flatMap((v) => ["clusterpolicyreports", "policyreports"].map((r) => failover.get(`${v} ${r}`) ?? 0)).reduce((a, b) => a + b, 0)}; requests ${[...failover.values()].reduce((a, b) => a + b, 0)}: ${top(failover, 8)}`,
      ]);
    } finally {
      await second?.stop(15_000).catch(() => undefined);
      await first?.stop(15_000).catch(() => undefined);
      await controlPlane.stop();
    }
    const header = `Machine: node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (at the end), ${new Date().toISOString().slice(0, 16)}Z; ${OBJECTS} objects`;
    const text = `${header}\n\n${table(rows)}\n`;
    mkdirSync(path.join(repoRoot, "bench/results"), { recursive: true });
    writeFileSync(path.join(repoRoot, `bench/results/reports-scale-${OBJECTS}.md`), text);
    console.log(text);
  },
  6 * 3_600_000,
);
