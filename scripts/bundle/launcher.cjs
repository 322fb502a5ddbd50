#!/usr/bin/env -S node --max-semi-space-size=4
// @ts-check
"use strict";
// The package's bin (dist/src/bundle/main.cjs, written by scripts/bundle/build.mjs).
//
// It runs cli.cjs, esbuild's one-file bundle of the CLI, through vm.Script with a V8 code
// cache made at the end of an earlier run of the same command. That cache holds every function
// the command compiled, so the next run neither parses nor compiles them again. Node's own
// compile cache (module.enableCompileCache) keeps only what V8 compiles eagerly, the top level
// of each module: `check` on a small file starts about 15 ms sooner this way (bench/check-startup.mjs).
//
// A small young generation (the shebang's flag) keeps peak memory of a large `check` low at no
// cost in time: most allocations are short-lived objects of the parsed manifests.
const { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");

/** sha256 of cli.cjs (prefix), set by the build: a cache made for other code is never read. */
const BUNDLE_HASH = "@BUNDLE_HASH@";
/** Short-lived commands whose start-up a user waits for; serve and reconcile start once. */
const CACHED_COMMANDS = new Set(["check", "explain", "map", "rules"]);

const bundle = join(__dirname, "cli.cjs");
const command = process.argv[2] ?? "";
const cacheDir = codeCacheDir();
const cacheFile =
  cacheDir !== undefined && CACHED_COMMANDS.has(command) ? join(cacheDir, `${BUNDLE_HASH}-${command}-${process.version}`) : undefined;
const cached = cacheFile === undefined ? undefined : readOwnFile(cacheFile);

const script = new vm.Script(Module.wrap(readFileSync(bundle, "utf8")), {
  filename: bundle,
  cachedData: cached,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected)) {
  // At exit every function the command ran is compiled, so the cache made then has them all.
  process.once("exit", (code) => {
    if (code === 0 || code === 1) writeCodeCache(cacheFile, script);
  });
}
const cjsModule = { exports: {} };
script.runInThisContext()(cjsModule.exports, Module.createRequire(bundle), cjsModule, bundle, __dirname);

/**
 * $XDG_CACHE_HOME/s3-vpce-guard/code-cache (default ~/.cache/…), never a shared temp folder:
 * a code cache is code, so only a folder of this user's own is trusted. Off with Node's own
 * switch for its compile cache, NODE_DISABLE_COMPILE_CACHE=1.
 * @returns {string | undefined}
 */
function codeCacheDir() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, ".cache") : undefined);
  return base ? join(base, "s3-vpce-guard", "code-cache") : undefined;
}

/**
 * The file's bytes when this user owns it and nobody else may write it; otherwise undefined
 * (missing, foreign or unreadable: the run only starts slower).
 * @param {string} file
 * @returns {Buffer | undefined}
 */
function readOwnFile(file) {
  let fd;
  try {
    fd = openSync(file, "r");
    const stat = fstatSync(fd);
    if (!stat.isFile() || (process.getuid && stat.uid !== process.getuid()) || (stat.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes the cache atomically (a concurrent run reads the old file or the new one, never half
 * of one) and removes caches of other builds, so the folder holds one build's few files.
 * Any failure (read-only home, full disk) leaves the run's result untouched.
 * @param {string} file
 * @param {import("node:vm").Script} compiled
 */
function writeCodeCache(file, compiled) {
  const dir = dirname(file);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    makeFolders(dir);
    writeFileSync(temporary, compiled.createCachedData(), { mode: 0o600 });
    renameSync(temporary, file);
    for (const name of readdirSync(dir)) if (!name.startsWith(`${BUNDLE_HASH}-`)) rmSync(join(dir, name), { force: true });
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // nothing was written
    }
  }
}

/**
 * Creates the cache folder and its two parents one by one, not with `recursive: true`: that
 * loops forever when a parent cannot be made (Node 24 under /proc). The grandparent must exist.
 * @param {string} dir
 */
function makeFolders(dir) {
  for (const folder of [dirname(dirname(dir)), dirname(dir), dir]) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== "EEXIST") throw error;
    }
  }
}
