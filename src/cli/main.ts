#!/usr/bin/env -S node --max-semi-space-size=4
// A small young generation keeps peak memory of a large `check` well below the default
// (measured in bench/check-corpus.mjs) at no cost in time: most allocations are short-lived
// objects of the parsed manifests.
import module from "node:module";

// V8's compile cache (Node 22.1+, in the OS temp folder) cuts the CLI's start-up by a fifth
// (bench/check-startup.mjs). It must be on before the modules load, so they are imported
// below, not above. A cache that cannot be written (read-only file system) only costs that.
try {
  module.enableCompileCache?.();
} catch {
  // no cache: slower start, same result
}
await import("./run.js");
