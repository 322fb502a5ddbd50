import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const child = join(import.meta.dirname, "review-promotion.child.mjs");

interface Measurement {
  policyBytes: number;
  youngCollections: number;
  promotedBytesPerReview: number;
}

/** One fresh process (built by the globalSetup test/helpers/build-dist.ts): V8's heuristics start from nothing. */
async function measure(mode: "services" | "bare"): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, mode], {
    cwd: root,
    env: { ...process.env, S3VG_DIST: join(root, "dist") },
  });
  return JSON.parse(stdout) as Measurement;
}

// The webhook's p99 latency was set by full collections of the old generation, which filled
// with the garbage of reviews (see src/platform/util/heap-policy.ts). A review's garbage must
// die young, so that a full collection comes only as often as the inventory itself changes.
describe("garbage of a review stays in the young generation", () => {
  it("with the services serve and reconcile build, a review moves (almost) nothing into the old generation", async () => {
    const [services, bare] = await Promise.all([measure("services"), measure("bare")]);
    // The scenario has to show the problem it guards against: left to itself, V8 pretenures
    // the adapters' objects after the inventory fill, and each review carries its policy text
    // (19 KB) into the old generation.
    expect(bare.youngCollections).toBeGreaterThan(10);
    expect(bare.promotedBytesPerReview).toBeGreaterThan(bare.policyBytes / 2);
    // As serve and reconcile run: under 1 KB per review (measured: about 13 bytes).
    expect(services.youngCollections).toBeGreaterThan(10);
    expect(services.promotedBytesPerReview).toBeLessThan(1024);
  });
});
