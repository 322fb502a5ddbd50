// @ts-check
// Builds the package's bin from tsc's output (npm run build):
//   dist/src/bundle/cli.cjs          the whole CLI in one CommonJS file (packages stay external;
//                                    each command's modules are initialised on first use, so
//                                    `check` never loads express, the Kubernetes client or the AWS SDK)
//   dist/src/bundle/parse-worker.js  the YAML parse worker cli.cjs starts from its own folder
//   dist/src/bundle/main.cjs         the launcher (scripts/bundle/launcher.cjs) that runs cli.cjs
//                                    with a V8 code cache
// One CommonJS file rather than split ES modules: a vm.Script can carry a code cache made after a
// run, an ES module only Node's compile cache of its top level (bench/check-startup.mjs).
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "../..");
const out = join(root, "dist/src/bundle");
rmSync(out, { recursive: true, force: true });

/** @type {import("esbuild").BuildOptions} */
const common = { bundle: true, packages: "external", platform: "node", target: "node22", logLevel: "warning" };
await build({
  ...common,
  entryPoints: [join(root, "dist/src/cli/run.js")],
  outfile: join(out, "cli.cjs"),
  format: "cjs",
  inject: [join(import.meta.dirname, "import-meta-url.mjs")],
  define: { "import.meta.url": "import_meta_url" },
});
await build({ ...common, entryPoints: [join(root, "dist/src/cli/parse-worker.js")], outfile: join(out, "parse-worker.js"), format: "esm" });

const hash = createHash("sha256")
  .update(readFileSync(join(out, "cli.cjs")))
  .digest("hex")
  .slice(0, 16);
const launcher = readFileSync(join(import.meta.dirname, "launcher.cjs"), "utf8");
if (!launcher.includes("@BUNDLE_HASH@")) throw new Error("scripts/bundle/launcher.cjs lost its @BUNDLE_HASH@ placeholder");
writeFileSync(join(out, "main.cjs"), launcher.replace("@BUNDLE_HASH@", hash), { mode: 0o755 });
chmodSync(join(out, "main.cjs"), 0o755);
