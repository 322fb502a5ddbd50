import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { IMAGE_NODE_FLAGS } from "../../bench/webhook-process.mjs";

const root = resolve(import.meta.dirname, "../..");
const child = join(import.meta.dirname, "review-promotion.child.mjs");

interface Measurement {
  policyBytes: number;
  youngCollections: number;
  promotedBytesPerReview: number;
}

/** One fresh process (built by the globalSetup test/helpers/build-dist.ts): V8's heuristics start from nothing. */
async function measure(mode: "services" | "bare"): Promise<Measurement> {
  // With the image's young-generation size (bench/webhook-process.mjs), as serve runs.
  const { stdout } = await promisify(execFile)(process.execPath, [...IMAGE_NODE_FLAGS.split(" "), child, mode], {
    cwd: root,
    env: { ...process.env, S3VG_DIST: join(root, "dist") },
  });
  return JSON.parse(stdout) as Measurement;
}

// The webhook's p99 latency was set by full collections of the old generation, which filled
// with the garbage of reviews (see src/platform/util/heap-policy.ts). A review's garbage must
// die young, so that a full collection comes only as often as the inventory itself changes.
// Two child processes, each filling 5,000 BucketPolicies and the endpoint they admit and
// reviewing 6,500 times (enough reviews for over 10 young collections): 3.3 s each on a quiet
// 2-core machine where the bare HTTPS server takes 90 µs a request, more when other test files
// run beside it.
describe("garbage of a review stays in the young generation", () => {
  it(
    "with the services serve and reconcile build, a review moves (almost) nothing into the old generation",
    { timeout: 60_000 },
    async () => {
      const [services, bare] = await Promise.all([measure("services"), measure("bare")]);
      // The scenario has to show the problem it guards against: left to itself, V8 pretenures
      // the adapters' objects after the inventory fill, and each review carries its policy text
      // (19 KB) into the old generation.
      expect(bare.youngCollections).toBeGreaterThan(10);
      expect(bare.promotedBytesPerReview).toBeGreaterThan(bare.policyBytes / 2);
      // As serve and reconcile run: next to nothing (measured: 6 bytes per review; 625 while
      // effective-access's pair space was an object literal with a getter, see pairSpace).
      expect(services.youngCollections).toBeGreaterThan(10);
      expect(services.promotedBytesPerReview).toBeLessThan(128);
    },
  );
});
