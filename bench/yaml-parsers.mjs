// @ts-check
// How fast each way of reading the check corpus is, in this process (no CLI start-up, no
// rules): the `yaml` package's layers (lexer; parser to a CST; composer to documents; toJS),
// the CLI's fast manifest reader (src/cli/manifest-yaml.ts), and JSON.parse of the same
// documents written as JSON (the floor). js-yaml is timed too when it can be imported (it is
// not a dependency: run from a folder where it is installed to see it).
// Usage: npm run build && node bench/yaml-parsers.mjs [resources=10000] [runs=5]
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { join, resolve } from "node:path";
import { Composer, Lexer, LineCounter, Parser, stringify } from "yaml";
import { denyUnlessEndpoint, endpointManifest, regionOf, vpce } from "./corpus.mjs";

const root = resolve(import.meta.dirname, "..");
const reader = join(root, "dist/src/cli/manifest-yaml.js");
if (!existsSync(reader)) throw new Error("build first: npm run build");
const { parseManifestYaml } = await import(reader);
const jsYaml = await import("js-yaml").catch(() => undefined);

const resources = Number(process.argv[2] ?? 10000);
const runs = Number(process.argv[3] ?? 5);
const bucket = (/** @type {number} */ i) => {
  const name = `bench-bucket-${i}`;
  const policy = denyUnlessEndpoint(name, vpce(i));
  return {
    apiVersion: "s3.services.k8s.aws/v1alpha1",
    kind: "Bucket",
    metadata: { name, namespace: `team-${i % 50}`, annotations: { "services.k8s.aws/region": regionOf(i) } },
    spec: { name, policy: JSON.stringify(policy) },
  };
};
/** @type {object[]} */
const objects = [];
for (let i = 0; i < resources / 2; i++) objects.push(endpointManifest(i), bucket(i));
// Ten files, as in bench/check-corpus.mjs.
const files = Array.from({ length: 10 }, (_, f) => objects.filter((_, i) => Math.floor(i / 2) % 10 === f));
const yamlTexts = files.map((docs) => docs.map((d) => stringify(d)).join("---\n"));
const jsonTexts = objects.map((o) => JSON.stringify(o, null, 2));
const megabytes = yamlTexts.reduce((n, t) => n + t.length, 0) / 2 ** 20;

/** @type {[string, () => void][]} */
const ways = [
  [
    "yaml: Lexer only",
    () =>
      yamlTexts.forEach((t) => {
        for (const _ of new Lexer().lex(t));
      }),
  ],
  [
    "yaml: Parser (CST) only",
    () =>
      yamlTexts.forEach((t) => {
        for (const _ of new Parser().parse(t));
      }),
  ],
  [
    "yaml: Parser + Composer + toJS (before)",
    () =>
      yamlTexts.forEach((t) => {
        const lineCounter = new LineCounter();
        const composer = new Composer({ uniqueKeys: true, merge: true });
        for (const d of composer.compose(new Parser(lineCounter.addNewLine).parse(t))) d.toJS({ maxAliasCount: 100 });
      }),
  ],
  [
    "fast manifest reader (now)",
    () =>
      yamlTexts.forEach((t) => {
        if (parseManifestYaml(t) === undefined) throw new Error("declined");
      }),
  ],
  ...(jsYaml
    ? [/** @type {[string, () => void]} */ (["js-yaml loadAll (not a dependency)", () => yamlTexts.forEach((t) => jsYaml.loadAll(t))])]
    : []),
  ["JSON.parse of the same documents", () => jsonTexts.forEach((t) => JSON.parse(t))],
];

const median = (/** @type {number[] | undefined} */ xs = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** @type {number[][]} */
const times = ways.map(() => []);
for (let r = 0; r < runs; r++) {
  ways.forEach(([, run], k) => {
    const start = performance.now();
    run();
    /** @type {number[]} */ (times[k]).push(performance.now() - start);
  });
}
console.log(
  `node ${process.version}; ${resources} resources, ${megabytes.toFixed(1)} MiB of YAML in 10 files; ${runs} runs each, alternating`,
);
console.log("| reader | best | median | MiB/s (best) |");
console.log("|---|---|---|---|");
ways.forEach(([name], k) =>
  console.log(
    `| ${name} | ${Math.min(...(times[k] ?? [])).toFixed(0)} ms | ${median(times[k]).toFixed(0)} ms | ${(megabytes / (Math.min(...(times[k] ?? [])) / 1000)).toFixed(0)} |`,
  ),
);
if (!jsYaml) console.log("(js-yaml not importable here: not timed)");
