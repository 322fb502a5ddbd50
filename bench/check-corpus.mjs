// @ts-check
// Generates a 10,000-resource corpus (5k S3 Gateway endpoints, 5k buckets each with a
// bucket policy that admits only its endpoint; cross-resource rules on) and times
// `s3-vpce-guard check` on it: wall time and peak RSS, against a bare `node -e ""`.
// Usage: npm run build && node bench/check-corpus.mjs [endpoints=5000]
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { denyUnlessEndpoint, endpointManifest, regionOf, vpce } from "./corpus.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist/src/cli/main.js");
if (!existsSync(cli)) throw new Error("build first: npm run build");
const count = Number(process.argv[2] ?? 5000);
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
          ...(i % 10 === 0 ? [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${name}/*`, Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }] : []),
        ],
      }),
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "s3vg-bench-"));
const files = 10;
for (let f = 0; f < files; f++) {
  const docs = [];
  for (let i = f; i < count; i += files) docs.push(stringify(endpointManifest(i)), stringify(bucket(i)));
  writeFileSync(join(dir, `corpus-${f}.yaml`), docs.join("---\n"));
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

const baseline = timed([process.execPath, "-e", ""]);
// The CLI runs as users run it: through its shebang (which sets its V8 flags).
const runs = [1, 2, 3].map(() => timed([cli, "check", "-o", "json", dir]));
const summary = JSON.parse(/** @type {{ stdout: string }} */ (runs[0]).stdout).summary;
if (!process.env.KEEP_CORPUS) rmSync(dir, { recursive: true, force: true });
else console.log(`corpus kept in ${dir}`);
const best = runs.reduce((a, b) => (a.wall <= b.wall ? a : b));
console.log(`node ${process.version}, ${count * 2} resources in ${files} files (${summary.resources} checked; ${summary.deny} deny, ${summary.warn} warn)`);
console.log(`check wall time (best of 3): ${best.wall.toFixed(2)} s   [runs: ${runs.map((r) => r.wall.toFixed(2)).join(", ")}]`);
console.log(`peak RSS: ${best.rssMb.toFixed(0)} MB; bare node: ${baseline.rssMb.toFixed(0)} MB; beyond node's start: ${(best.rssMb - baseline.rssMb).toFixed(0)} MB`);
console.log(`goal: <= 2 s and <= 250 MB beyond node's start`);
