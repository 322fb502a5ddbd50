// @ts-check
// Start-up of `s3-vpce-guard check` on a two-resource file against a bare `node -e 0`, each
// variant run in turn (alternating, so load from other processes spreads over all of them).
// Usage: npm run build && node bench/check-startup.mjs [runs=15] [other-cli.js ...]
// The first (untimed) run of each variant warms the file cache and writes the code caches.
// Extra CLI paths (for example an older build's dist/src/cli/main.js) are timed beside ours.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { denyUnlessEndpoint, endpointManifest, vpce } from "./corpus.mjs";

const root = resolve(import.meta.dirname, "..");
const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), "s3vg-startup-"));
const file = join(dir, "two.yaml");
const bucket = {
  apiVersion: "s3.services.k8s.aws/v1alpha1",
  kind: "Bucket",
  metadata: { name: "bench-bucket-1" },
  spec: { name: "bench-bucket-1", policy: JSON.stringify(denyUnlessEndpoint("bench-bucket-1", vpce(1))) },
};
writeFileSync(file, `${stringify(endpointManifest(1))}---\n${stringify(bucket)}`);

/** @type {[string, string[]][]} */
const variants = [
  ["bare node -e 0", [process.execPath, "-e", "0"]],
  [
    "check (dist/src/bundle/main.cjs: the package's bin, one bundle run with its code cache)",
    [join(root, "dist/src/bundle/main.cjs"), "check", file],
  ],
  [
    "check (the same bin without code cache: NODE_DISABLE_COMPILE_CACHE=1)",
    ["/usr/bin/env", "NODE_DISABLE_COMPILE_CACHE=1", join(root, "dist/src/bundle/main.cjs"), "check", file],
  ],
  [
    "check (dist/src/cli/main.js: tsc's output with Node's compile cache, the container's entry point)",
    [join(root, "dist/src/cli/main.js"), "check", file],
  ],
  [
    "check (tsc's output without any cache)",
    ["/usr/bin/env", "NODE_DISABLE_COMPILE_CACHE=1", join(root, "dist/src/cli/main.js"), "check", file],
  ],
  ...process.argv.slice(3).map((cli) => /** @type {[string, string[]]} */ ([`check (${cli})`, [cli, "check", file]])),
];

/** @param {string[]} argv */
function once(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(/** @type {string} */ (argv[0]), argv.slice(1), { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** @type {number[][]} */
const times = variants.map(() => []);
for (const [, argv] of variants) once(argv); // warm the file cache (and any compile cache)
for (let i = 0; i < runs; i++) variants.forEach(([, argv], v) => /** @type {number[]} */ (times[v]).push(once(argv)));
rmSync(dir, { recursive: true, force: true });

const median = (/** @type {number[] | undefined} */ xs = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const bare = median(times[0]);
console.log(`node ${process.version}, ${runs} alternating runs each, wall time of the whole process`);
console.log("| variant | best | median | median / bare node |");
console.log("|---|---|---|---|");
variants.forEach(([name], v) => {
  console.log(
    `| ${name} | ${Math.min(...(times[v] ?? [])).toFixed(0)} ms | ${median(times[v]).toFixed(0)} ms | ${(median(times[v]) / bare).toFixed(2)}× |`,
  );
});
