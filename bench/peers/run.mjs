// Side-by-side benchmark of `s3-vpce-guard check` against its peers (gator, conftest, the
// Kyverno CLI, and `opa eval` on input already converted to JSON), each with the policies under
// bench/peers/ for the three compared rules, on the same generated Upjet corpus.
// Prints a Markdown table (median wall time / median peak RSS of N runs) and fails loudly when an
// engine does not flag exactly the expected (rule, resource) set. Peers come from
// bench/peers/build.sh's cache; a missing one is skipped with a line saying so.
//
// Usage: npm run build && node bench/peers/run.mjs [--sizes 1000,10000,50000] [--runs 3]
//        [--engines ours,gator,conftest,kyverno,opa,kyverno-cel] [--no-startup] [--keep]
// (kyverno-cel, Kyverno's CEL ValidatingPolicy, is not in the default list: it is slow here.)
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { expectedFindings, writeCorpus } from "./corpus.mjs";

const here = import.meta.dirname;
const root = resolve(here, "../..");
// The package's bin (scripts/bundle/build.mjs), as `npm install` gives it to users.
const cli = join(root, "dist/src/bundle/main.cjs");

const { values: opts } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,50000" },
    runs: { type: "string", default: "3" },
    engines: { type: "string", default: "ours,gator,conftest,kyverno,opa" },
    "no-startup": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const sizes = opts.sizes.split(",").map(Number);
const runs = Number(opts.runs);
const wanted = new Set(opts.engines.split(","));
if (!existsSync(cli)) throw new Error("build first: npm run build");
if (!existsSync("/usr/bin/time")) throw new Error("this benchmark measures with GNU time: /usr/bin/time is missing (apt-get install time)");

const versions = Object.fromEntries(
  readFileSync(join(here, "versions.env"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split("=")),
);
const peersRoot = join(process.env.S3VG_CACHE ?? join(homedir(), ".cache/s3-vpce-guard"), "peers");
const peerBinary = (name, version) => join(peersRoot, `${name}-${version}`, name);

// Gatekeeper's template carries a copy of rego/lib.rego; a drifted copy would compare different rules.
const lib = readFileSync(join(here, "rego/lib.rego"), "utf8");
const embeddedLib = parseYaml(readFileSync(join(here, "gatekeeper/template.yaml"), "utf8")).spec.targets[0].code[0].source.libs[0];
if (embeddedLib !== lib)
  throw new Error("bench/peers/gatekeeper/template.yaml code[0].source.libs[0] differs from bench/peers/rego/lib.rego: copy it over");

/** "<rule> <Kind>/<name>" as every peer policy spells its finding. */
const FINDING = /\b(endpoint-full-access|source-ip-condition|vpce-condition-value) (VPCEndpoint|BucketPolicy)\/([a-z0-9][a-z0-9.-]*)/g;
const scanFindings = (text) => new Set([...text.matchAll(FINDING)].map((m) => `${m[1]} ${m[2]}/${m[3]}`));

/**
 * Each engine: how to run it on a corpus dir, and how to read the (rule, resource) pairs it flagged.
 * `ok` lists the exit codes that mean "ran and reported findings".
 */
const engines = [
  {
    id: "ours",
    label: "s3-vpce-guard, all rules",
    binary: cli,
    // The CLI runs as users run it: through its shebang (which sets its V8 flags).
    command: (dir) => [cli, "check", "-o", "json", join(dir, "yaml")],
    ok: [0, 1],
    findings: (stdout) => new Set(JSON.parse(stdout).findings.map((f) => `${f.rule} ${f.resource.kind}/${f.resource.name}`)),
  },
  {
    id: "gator",
    label: `gator ${versions.GATOR_VERSION}`,
    binary: peerBinary("gator", versions.GATOR_VERSION),
    command: (dir, bin) => [bin, "test", "-f", join(dir, "yaml"), "-f", join(here, "gatekeeper")],
    ok: [0, 1],
    findings: (stdout, stderr) => scanFindings(`${stdout}\n${stderr}`),
  },
  {
    id: "conftest",
    label: `conftest ${versions.CONFTEST_VERSION}`,
    binary: peerBinary("conftest", versions.CONFTEST_VERSION),
    command: (dir, bin) => [
      bin,
      "test",
      "--no-color",
      "-p",
      join(here, "rego/conftest"),
      "-p",
      join(here, "rego/lib.rego"),
      join(dir, "yaml"),
    ],
    ok: [0, 1],
    findings: (stdout, stderr) => scanFindings(`${stdout}\n${stderr}`),
  },
  {
    id: "kyverno",
    label: `Kyverno ${versions.KYVERNO_VERSION} CLI (JMESPath)`,
    binary: peerBinary("kyverno", versions.KYVERNO_VERSION),
    command: (dir, bin) => [bin, "apply", join(here, "kyverno/policy.yaml"), "--resource", join(dir, "yaml"), "--remove-color"],
    ok: [0, 1],
    findings: (stdout, stderr) => scanFindings(`${stdout}\n${stderr}`),
  },
  {
    // Opt-in (--engines ...,kyverno-cel): Kyverno's CEL engine is an order of magnitude slower here.
    id: "kyverno-cel",
    label: `Kyverno ${versions.KYVERNO_VERSION} CLI (CEL ValidatingPolicy)`,
    binary: peerBinary("kyverno", versions.KYVERNO_VERSION),
    command: (dir, bin) => [bin, "apply", join(here, "kyverno/validating-policy.yaml"), "--resource", join(dir, "yaml"), "--remove-color"],
    ok: [0, 1],
    findings: (stdout, stderr) => scanFindings(`${stdout}\n${stderr}`),
  },
  {
    id: "opa",
    label: `\`opa eval\` ${versions.OPA_VERSION} on input already converted to JSON`,
    binary: peerBinary("opa", versions.OPA_VERSION),
    command: (dir, bin) => [
      bin,
      "eval",
      "--format",
      "raw",
      "-d",
      join(here, "rego/lib.rego"),
      "-d",
      join(here, "rego/opa.rego"),
      "-i",
      join(dir, "input.json"),
      "data.s3vg.findings",
    ],
    ok: [0],
    findings: (stdout, stderr) => scanFindings(`${stdout}\n${stderr}`),
  },
].filter((e) => wanted.has(e.id));

const present = engines.filter((e) => {
  if (existsSync(e.binary)) return true;
  console.log(`skipping ${e.id}: ${e.binary} is missing (build it with bench/peers/build.sh ${e.id})`);
  return false;
});

const work = mkdtempSync(join(tmpdir(), "s3vg-peers-"));
// The corpus can be hundreds of MB: removed however the run ends, unless --keep.
process.on("exit", () => {
  if (opts.keep) console.error(`work dir kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

/** One run under GNU time; stdout goes to a file so a slow reader never throttles the engine. */
function timed(argv) {
  const outFile = join(work, "stdout");
  const out = openSync(outFile, "w");
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", ...argv], {
    stdio: ["ignore", out, "pipe"],
    encoding: "utf8",
    maxBuffer: 1 << 28,
    timeout: 30 * 60_000,
  });
  closeSync(out);
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  const [wall, kb, user, sys] = last.split(" ").map(Number);
  const stdout = readFileSync(outFile, "utf8");
  return {
    wall,
    rssMb: kb / 1024,
    cpu: user + sys,
    code: (r.stderr.match(/Command exited with non-zero status (\d+)/) ?? [0, 0])[1] | 0,
    stdout,
    stderr: r.stderr,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sample = (set) => [...set].slice(0, 3).join("; ");
let mismatches = 0;

/** Runs `engine` `n` times on `dir`, checks its findings against `expected`; returns medians. */
function measure(engine, dir, n, expected) {
  const results = [];
  for (let i = 0; i < n; i++) {
    const r = timed(engine.command(dir, engine.binary));
    if (!engine.ok.includes(r.code) || Number.isNaN(r.wall)) {
      console.error(`!!! ${engine.id} failed (exit ${r.code}) on ${dir}:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(0, 2000)}`);
      return undefined;
    }
    results.push(r);
  }
  if (expected) {
    const got = engine.findings(results[0].stdout, results[0].stderr);
    const missing = new Set([...expected].filter((f) => !got.has(f)));
    const extra = new Set([...got].filter((f) => !expected.has(f)));
    if (missing.size || extra.size) {
      mismatches++;
      console.error(
        `!!! MISMATCH ${engine.id} on ${dir}: ${missing.size} expected findings missing (${sample(missing)}), ${extra.size} unexpected (${sample(extra)})`,
      );
    } else {
      console.error(`    ${engine.id}: flagged exactly the ${expected.size} expected (rule, resource) pairs`);
    }
  }
  return {
    wall: median(results.map((r) => r.wall)),
    rssMb: median(results.map((r) => r.rssMb)),
    cpu: median(results.map((r) => r.cpu)),
    runs: results.map((r) => r.wall),
  };
}

const cell = (m) => (m ? `${m.wall.toFixed(2)} s / ${m.rssMb.toFixed(0)} MB` : "failed");
const sizeLabel = (n) => (n >= 1000 ? `${n / 1000}k` : `${n}`);

// One untimed run of each engine on a 2-resource file first: the binaries in the file cache,
// and our bin's code cache written (it is made at the end of a user's first `check`).
const warmDir = join(work, "warm-up");
writeCorpus(warmDir, 2, 1);
for (const engine of present) timed(engine.command(warmDir, engine.binary));

const table = new Map(present.map((e) => [e.id, new Map()]));
for (const size of sizes) {
  const dir = join(work, `n${size}`);
  writeCorpus(dir, size);
  const expected = expectedFindings(size);
  console.error(`== ${size} resources (${expected.size} expected findings), ${runs} runs each`);
  for (const engine of present) {
    const m = measure(engine, dir, runs, expected);
    table.get(engine.id).set(size, m);
    console.error(
      `    ${engine.id} ${sizeLabel(size)}: ${cell(m)}${m ? `, ${m.cpu.toFixed(2)} s CPU [wall of each run: ${m.runs.map((w) => w.toFixed(2)).join(", ")}]` : ""}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

const lines = [];
lines.push(`| engine | ${sizes.map(sizeLabel).join(" | ")} |`, `|---|${sizes.map(() => "---|").join("")}`);
for (const engine of present) lines.push(`| ${engine.label} | ${sizes.map((s) => cell(table.get(engine.id).get(s))).join(" | ")} |`);
const ours = table.get("ours");
const ratioRow = (label, peerIds) => {
  const cells = sizes.map((s) => {
    const candidates = peerIds.map((id) => ({ id, m: table.get(id)?.get(s) })).filter((c) => c.m);
    if (!ours?.get(s) || candidates.length === 0) return "n/a";
    const fastest = candidates.reduce((a, b) => (a.m.wall <= b.m.wall ? a : b));
    return `${(ours.get(s).wall / fastest.m.wall).toFixed(2)}× (${fastest.id})`;
  });
  lines.push(`| ${label} | ${cells.join(" | ")} |`);
};
if (ours) {
  ratioRow("our time / fastest YAML peer's", ["gator", "conftest", "kyverno"]);
  ratioRow("our time / `opa eval` on JSON", ["opa"]);
  const conftest = table.get("conftest");
  if (conftest)
    lines.push(
      `| our peak RSS / conftest's | ${sizes.map((s) => (ours.get(s) && conftest.get(s) ? `${(ours.get(s).rssMb / conftest.get(s).rssMb).toFixed(2)}×` : "n/a")).join(" | ")} |`,
    );
}

// CPU time (user + sys) depends less than wall time on what else the machine runs; both use the same medians.
lines.push(
  "",
  "CPU time (user + sys, median), which other load on the machine disturbs less than wall time:",
  "",
  `| engine | ${sizes.map(sizeLabel).join(" | ")} |`,
  `|---|${sizes.map(() => "---|").join("")}`,
);
for (const engine of present)
  lines.push(
    `| ${engine.label} | ${sizes
      .map((s) => {
        const m = table.get(engine.id).get(s);
        return m ? `${m.cpu.toFixed(2)} s` : "failed";
      })
      .join(" | ")} |`,
  );

if (!opts["no-startup"]) {
  // Start-up: a 2-resource file (one endpoint, one bucket policy), 5 runs, medians.
  const dir = join(work, "tiny");
  writeCorpus(dir, 2, 1);
  const tinyExpected = expectedFindings(2);
  lines.push(
    "",
    `Start-up: each engine on a 2-resource file (median of 5 runs), against bare \`node -e 0\``,
    "",
    "| engine | wall | CPU | peak RSS |",
    "|---|---|---|---|",
  );
  const bare = measure({ id: "node -e 0", command: () => [process.execPath, "-e", "0"], ok: [0] }, dir, 5, undefined);
  lines.push(
    `| bare \`node -e 0\` (${process.version}) | ${bare.wall.toFixed(3)} s | ${bare.cpu.toFixed(2)} s | ${bare.rssMb.toFixed(0)} MB |`,
  );
  for (const engine of present) {
    const m = measure(engine, dir, 5, tinyExpected);
    lines.push(`| ${engine.label} | ${m ? `${m.wall.toFixed(3)} s | ${m.cpu.toFixed(2)} s | ${m.rssMb.toFixed(0)} MB` : "failed | | "} |`);
  }
}

console.log(
  `\nnode ${process.version}; ${runs} runs per cell, medians of wall time / peak RSS (GNU time); ${sizes.map(sizeLabel).join(", ")} resources = half Upjet VPCEndpoints, half BucketPolicies, in 10 YAML files\n`,
);
console.log(lines.join("\n"));
if (mismatches) {
  console.log(`\n!!! ${mismatches} engine/size combination(s) did not flag exactly the expected resources: see the MISMATCH lines above`);
  process.exitCode = 1;
}
