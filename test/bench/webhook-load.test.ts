// bench/webhook-load.mjs refuses arguments it cannot measure with before it starts anything:
// a run of several minutes must not end in a row of nonsense or a crash halfway.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

function load(...args: string[]) {
  return spawnSync(process.execPath, [join(root, "bench/webhook-load.mjs"), ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
}

describe("bench/webhook-load.mjs arguments", () => {
  it("refuses a --compare-dist without a build, naming the directory and what to do", () => {
    const run = load("--layers", "1", "--compare-dist", ".no-such-build/dist");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("--compare-dist .no-such-build/dist: no build there");
    expect(run.stderr).toContain("copy its dist into this checkout");
    expect(run.stdout).not.toContain("layers:");
  });

  it("refuses memory to touch between in-process reviews that is not a positive number of MiB", () => {
    const run = load("--layers", "1", "--touch-mib", "0");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('--touch-mib must be a positive number of MiB, got "0"');
  });

  it("refuses a busy loop that is not a positive number of microseconds", () => {
    const run = load("--layers", "1", "--busy-us", "0");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("--busy-us must be a positive number of microseconds");
  });
});
