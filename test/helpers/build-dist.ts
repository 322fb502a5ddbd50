// Vitest globalSetup: tests that spawn the CLI run dist/, so dist/ is rebuilt before them
// whenever it is missing or older than any file it is built from. A stale build can then
// never pass (or fail) for the code under test.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const builtCli = join(root, "dist/src/cli/main.js");
const builtBin = join(root, "dist/src/bundle/main.cjs");
const BUILD_INPUTS = ["tsconfig.json", "tsconfig.build.json", "package.json"];

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(file));
    else if (entry.isFile()) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is newer than every source. */
export function staleReason(): string | undefined {
  for (const output of [builtCli, builtBin]) if (!existsSync(output)) return `${output} is missing`;
  const built = Math.min(statSync(builtCli).mtimeMs, statSync(builtBin).mtimeMs);
  const sources = Math.max(
    newestMtimeMs(join(root, "src")),
    newestMtimeMs(join(root, "scripts/bundle")),
    ...BUILD_INPUTS.map((f) => statSync(join(root, f)).mtimeMs),
  );
  return sources > built ? "src/ changed after the last build" : undefined;
}

export function setup(): void {
  const reason = staleReason();
  if (reason === undefined) return;
  // The same as `npm run build`, without npm on PATH.
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`dist/ had to be rebuilt (${reason}) and the build failed:\n${build.stdout}${build.stderr}`);
  chmodSync(builtCli, 0o755);
  const bundle = spawnSync(process.execPath, [join(root, "scripts/bundle/build.mjs")], { cwd: root, encoding: "utf8" });
  if (bundle.status !== 0) throw new Error(`the package bin had to be rebuilt (${reason}) and failed:\n${bundle.stdout}${bundle.stderr}`);
}
