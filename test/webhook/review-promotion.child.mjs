// Child process of review-promotion.test.ts (a fresh V8 for each measurement): fills an
// inventory of 5,000 BucketPolicies and the S3 endpoint they admit, reviews one BucketPolicy
// with a 19 KB policy 6,000 times through the admission handler (every rule, effective-access's
// question about the bucket and the endpoint included), and prints the bytes each review moved into the old
// generation (old space growth across young-generation collections, from v8.GCProfiler).
//   argv[2] "services": the inventory of sharedServices(), as `serve` and `reconcile` build it
//   argv[2] "bare":     a plain Inventory (the control: what V8 does left to itself)
import console from "node:console";
import process from "node:process";
import { GCProfiler } from "node:v8";
import { endpointManifest, vpce } from "../../bench/corpus.mjs";
import { admissionReviewFor } from "../../bench/webhook-process.mjs";

const dist = process.env.S3VG_DIST;
const { Inventory } = await import(`${dist}/src/core/inventory/inventory.js`);
const { fillInventory } = await import(`${dist}/src/core/adapters/inventory-adapter.js`);
const { defaultConfig } = await import(`${dist}/src/core/config.js`);
const { admissionHandler } = await import(`${dist}/src/cli/admission-handler.js`);
const { sharedServices } = await import(`${dist}/src/cli/services.js`);
const { createLogger } = await import(`${dist}/src/platform/telemetry/logging.js`);

const policyText = (bucket, statements) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: Array.from({ length: statements }, (_, j) => ({
      Sid: `Read${j}`,
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::123456789012:role/reader-${j}` },
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/team-${j}/*`,
      Condition: { StringEquals: { "aws:SourceVpce": vpce(1) } },
    })),
  });
const bucketPolicy = (i, statements) => ({
  apiVersion: "s3.aws.upbound.io/v1beta1",
  kind: "BucketPolicy",
  metadata: { name: `policy-${i}` },
  spec: { forProvider: { region: "us-east-1", bucket: `bucket-${i}`, policy: policyText(`bucket-${i}`, statements) } },
});
const fill = (inventory, config) => {
  fillInventory(
    [endpointManifest(1), ...Array.from({ length: 5000 }, (_, i) => bucketPolicy(i, 2))].map((object) => ({ object })),
    inventory,
    config,
  );
  inventory.complete = true;
};

let config;
let inventory;
if (process.argv[2] === "services") {
  const services = await sharedServices({
    configPath: undefined,
    logger: createLogger({ level: "silent" }),
    kubeConfig: undefined,
    audit: undefined,
    preload: fill,
  });
  ({ config, inventory } = services);
} else {
  config = defaultConfig();
  inventory = new Inventory();
  fill(inventory, config);
}

const handler = admissionHandler({ config, inventory, inventoryComplete: () => true });
const body = JSON.stringify(admissionReviewFor(bucketPolicy(1, 80)));
// A new body each time, as from the network: the policy text is a new 19 KB string per review.
const review = () => {
  const parsed = handler.parse(JSON.parse(body));
  if (!parsed.ok) throw new Error(parsed.message);
  return handler.decide(parsed.request);
};
for (let i = 0; i < 500; i++) review();

const reviews = 6000;
const profiler = new GCProfiler();
profiler.start();
for (let i = 0; i < reviews; i++) review();
const { statistics } = profiler.stop();
const oldSpaceUsed = (stats) => stats.heapSpaceStatistics.find((space) => space.spaceName === "old_space").spaceUsedSize;
let promoted = 0;
let youngCollections = 0;
for (const gc of statistics) {
  if (gc.gcType !== "Scavenge") continue;
  youngCollections++;
  promoted += Math.max(0, oldSpaceUsed(gc.afterGC) - oldSpaceUsed(gc.beforeGC));
}
const policyBytes = JSON.parse(body).request.object.spec.forProvider.policy.length;
console.log(JSON.stringify({ policyBytes, youngCollections, promotedBytesPerReview: promoted / reviews }));
