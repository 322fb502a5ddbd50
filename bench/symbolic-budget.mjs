// @ts-check
// Cost of the symbolic evaluator's questions: a question over its work budget is bounded.
// Prints the time of one over-budget question (DEFAULT_BUDGET nodes) and of a whole engine
// review of an endpoint whose policy makes every rule question run out of budget, next to a
// review of the guide's restricted endpoint policy (the common case).
// Run after building: npm run build && node bench/symbolic-budget.mjs
import { performance } from "node:perf_hooks";
import { parsePolicy } from "../dist/src/core/iam/index.js";
import { ask, DEFAULT_BUDGET, verdictOf } from "../dist/src/core/iam/symbolic.js";
import { adapt } from "../dist/src/core/adapters/index.js";
import { review } from "../dist/src/core/engine/engine.js";
import { Inventory } from "../dist/src/core/inventory/inventory.js";
import { parseConfig } from "../dist/src/cli/config/config-file.js";
import { OVER_BUDGET_POLICY } from "./adversarial.mjs";

const GUIDE = {
  Statement: [
    {
      Sid: "Access-to-specific-bucket-only",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject"],
      Effect: "Allow",
      Resource: ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"],
    },
  ],
};

/**
 * @param {string} label
 * @param {number} runs
 * @param {() => unknown} fn
 */
function time(label, runs, fn) {
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const median = /** @type {number} */ (samples[Math.floor(samples.length / 2)]);
  console.log(`${label}: median ${median.toFixed(2)} ms, max ${/** @type {number} */ (samples.at(-1)).toFixed(2)} ms (${runs} runs)`);
}

const doc = parsePolicy(OVER_BUDGET_POLICY, "endpoint").document;
const question = {
  layers: [[doc]],
  space: {
    actions: ["s3:GetObject"],
    resources: ["arn:aws:s3:::b/k"],
    keys: { "aws:SourceVpce": { kind: "fixed", value: "vpce-1a2b3c4d" } },
  },
  classify: (/** @type {readonly string[]} */ d) => d[0],
};
const answer = ask(question);
console.log(`over-budget question: ${answer.steps} nodes (budget ${DEFAULT_BUDGET}), verdict ${verdictOf(answer, "Allow")}`);
time("one over-budget question", 30, () => ask(question));

const parsed = parseConfig({});
if (!parsed.ok) throw new Error(String(parsed.errors));
const { config } = parsed;
/** @param {unknown} policy */
const endpoint = (policy) => {
  const adapted = adapt(
    {
      apiVersion: "ec2.aws.upbound.io/v1beta2",
      kind: "VPCEndpoint",
      metadata: { name: "e" },
      spec: {
        forProvider: {
          region: "us-east-1",
          serviceName: "com.amazonaws.us-east-1.s3",
          vpcId: "vpc-1a2b3c4d",
          routeTableIds: ["rtb-1"],
          policy: JSON.stringify(policy),
        },
      },
    },
    { namespaceDefaultRegion: () => undefined, defaultRegion: "us-east-1" },
  );
  return adapted.object;
};
for (const [label, policy] of [
  ["guide's bucket-only endpoint policy", GUIDE],
  ["pathological endpoint policy (every question over budget)", OVER_BUDGET_POLICY],
]) {
  const subject = endpoint(policy);
  let undecided = 0;
  time(`review of the ${label}`, 30, () =>
    review(
      { subject, mode: "admission", operation: "CREATE", inventoryComplete: true },
      { config, inventory: new Inventory(), onUndecided: () => (undecided += 1) },
    ),
  );
  console.log(`  undecided questions per review: ${undecided / 30}`);
}
