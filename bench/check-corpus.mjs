// @ts-check
// Generates corpora (S3 Gateway endpoints and as many buckets, each with a bucket policy that
// admits only its endpoint, every 10th with a violation; cross-resource rules on) and times
// `s3-vpce-guard check -o json` on them: wall time and peak RSS, best and median of the runs.
// Other builds of the CLI (for example an older commit's dist/src/cli/main.js) are timed beside
// ours, runs alternating between them so that load from other processes spreads over all, and
// their JSON outputs must be identical.
// Usage: npm run build && node bench/check-corpus.mjs [resources=10000[,50000...]] [runs=3] [other-cli.js ...]
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { denyUnlessEndpoint, endpointManifest, regionOf, vpce } from "./corpus.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist/src/cli/main.js");
if (!existsSync(cli)) throw new Error("build first: npm run build");
const sizes = (process.argv[2] ?? "10000").split(",").map(Number);
const runCount = Number(process.argv[3] ?? 3);
const clis = [cli, ...process.argv.slice(4).map((p) => resolve(p))];
/** @param {number} i */
function bucket(i) {
  const region = regionOf(i);
  const name = `bench-bucket-${i}`;
  return {
    apiVersion: "s3.services.k8s.aws/v1alpha1",
    kind: "Bucket",
    metadata: { name, namespace: `team-${i % 50}`, annotations: { "services.k8s.aws/region": region } },
    spec: {
      name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          ...denyUnlessEndpoint(name, vpce(i)).Statement,
          // Every 10th bucket carries a violation, so findings are produced too.
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
        ],
      }),
    },
  };
}

const files = 10;
/** @param {number} resources */
function writeCorpus(resources) {
  const dir = mkdtempSync(join(tmpdir(), "s3vg-bench-"));
  const count = resources / 2;
  for (let f = 0; f < files; f++) {
    const docs = [];
    for (let i = f; i < count; i += files) docs.push(stringify(endpointManifest(i)), stringify(bucket(i)));
    writeFileSync(join(dir, `corpus-${f}.yaml`), docs.join("---\n"));
  }
  return dir;
}

/**
 * @param {string[]} args
 * @returns {{ wall: number; rssMb: number; code: number | null; stdout: string }}
 */
function timed(args) {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  const [wall, kb] = /** @type {[number, number]} */ (/** @type {string} */ (r.stderr.trim().split("\n").at(-1)).split(" ").map(Number));
  return { wall, rssMb: kb / 1024, code: r.status, stdout: r.stdout };
}

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const baseline = timed([process.execPath, "-e", ""]);
console.log(
  `node ${process.version}; bare node: ${baseline.wall.toFixed(2)} s, ${baseline.rssMb.toFixed(0)} MB; ${runCount} runs each, alternating between the CLIs`,
);
console.log("| CLI | resources | wall best | wall median | peak RSS best | peak RSS median | deny/warn |");
console.log("|---|---|---|---|---|---|---|");
for (const resources of sizes) {
  const dir = writeCorpus(resources);
  /** @type {{ wall: number; rssMb: number; code: number | null; stdout: string }[][]} */
  const runs = clis.map(() => []);
  // The CLI runs as users run it: through its shebang (which sets its V8 flags).
  for (let r = 0; r < runCount; r++)
    clis.forEach((c, k) => /** @type {typeof runs[number]} */ (runs[k]).push(timed([c, "check", "-o", "json", dir])));
  const outputs = runs.map((rs) => /** @type {{ stdout: string }} */ (rs[0]).stdout);
  clis.forEach((c, k) => {
    const { summary } = JSON.parse(/** @type {string} */ (outputs[k]));
    const walls = /** @type {typeof runs[number]} */ (runs[k]).map((r) => r.wall);
    const rss = /** @type {typeof runs[number]} */ (runs[k]).map((r) => r.rssMb);
    const name = c === cli ? "this build" : c;
    console.log(
      `| ${name} | ${resources} | ${Math.min(...walls).toFixed(2)} s | ${median(walls).toFixed(2)} s | ${Math.min(...rss).toFixed(0)} MB | ${median(rss).toFixed(0)} MB | ${summary.deny}/${summary.warn} |`,
    );
  });
  const differing = clis.filter((c, k) => outputs[k] !== outputs[0]);
  if (differing.length > 0) console.log(`!! JSON output differs from this build's: ${differing.join(", ")}`);
  if (!process.env.KEEP_CORPUS) rmSync(dir, { recursive: true, force: true });
  else console.log(`corpus kept in ${dir}`);
}
