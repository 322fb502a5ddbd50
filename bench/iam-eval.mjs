// @ts-check
// Evaluations per second: our IAM evaluator vs @cloud-copilot/iam-simulate on the guide's
// "restrict a bucket to one VPC endpoint" bucket policy (Deny + StringNotEquals aws:sourceVpce),
// requests alternating between the allowed endpoint and another one.
// Run after building: npx tsc -p tsconfig.build.json && node bench/iam-eval.mjs
import { performance } from "node:perf_hooks";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { evaluatePolicy, parsePolicy } from "../dist/src/core/iam/index.js";

const POLICY = {
  Version: "2012-10-17",
  Id: "Policy1415115909152",
  Statement: [
    {
      Sid: "Access-to-specific-VPCE-only",
      Principal: "*",
      Action: "s3:*",
      Effect: "Deny",
      Resource: ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"],
      Condition: { StringNotEquals: { "aws:sourceVpce": "vpce-1a2b3c4d" } },
    },
  ],
};
const PRINCIPAL = "arn:aws:iam::123456789012:user/alice";
const REQUESTS = ["vpce-1a2b3c4d", "vpce-99999999"].map((vpce) => ({
  action: "s3:GetObject",
  resource: "arn:aws:s3:::my_secure_bucket/reports/2025.csv",
  context: { "aws:SourceVpce": vpce },
}));
const EXPECTED = ["ImplicitDeny", "ExplicitDeny"];
/** @type {Record<string, string>} */
const ORACLE = { Allowed: "Allow", ExplicitlyDenied: "ExplicitDeny", ImplicitlyDenied: "ImplicitDeny" };

const parsed = parsePolicy(POLICY, "bucket");
if (!parsed.document || parsed.issues.length > 0) throw new Error(`policy did not parse cleanly: ${JSON.stringify(parsed.issues)}`);
const document = parsed.document;

/** @param {number} index */
function ours(index) {
  return evaluatePolicy(
    { .../** @type {(typeof REQUESTS)[number]} */ (REQUESTS[index]), principal: { type: "AWS", id: PRINCIPAL } },
    document,
  ).decision;
}

/** @param {number} index */
function simulation(index) {
  const request = /** @type {(typeof REQUESTS)[number]} */ (REQUESTS[index]);
  return {
    request: {
      principal: PRINCIPAL,
      action: request.action,
      resource: { resource: request.resource, accountId: "123456789012" },
      contextVariables: request.context,
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: POLICY,
  };
}

/**
 * The documented entry point: validates the policy and request, then evaluates. (Its
 * runUnsafeSimulation shortcut is not compared: in 0.1.173 it throws on a resource policy,
 * reading metadata().name of a policy loaded without a name.)
 */
/** @param {number} index */
async function theirs(index) {
  const result = /** @type {import("@cloud-copilot/iam-simulate").SuccessfulRunSimulationResults} */ (
    await runSimulation(simulation(index), {})
  );
  return ORACLE[result.overallResult];
}

/**
 * Runs `step` for about `seconds`, returns operations per second (after a short warm-up).
 * @param {(index: number) => string | Promise<string | undefined>} step
 * @param {number} seconds
 */
async function measure(step, seconds) {
  const warmUpEnd = performance.now() + 300;
  let index = 0;
  while (performance.now() < warmUpEnd) await step(index++ % 2);
  let operations = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let batch = 0; batch < 64; batch += 1) {
      // A synchronous step is not awaited: an await per call would time the microtask queue.
      const result = step(operations % 2);
      const decision = result instanceof Promise ? await result : result;
      if (decision !== EXPECTED[operations % 2]) throw new Error(`wrong decision ${decision} for request ${operations % 2}`);
      operations += 1;
    }
  }
  return operations / ((performance.now() - start) / 1000);
}

const seconds = Number(process.env.IAM_BENCH_SECONDS ?? 6);
/** @type {Array<[string, number]>} */
const rows = [
  ["s3-vpce-guard src/iam", await measure(ours, seconds)],
  ["iam-simulate runSimulation", await measure(theirs, seconds)],
];
const [, oursPerSecond] = /** @type {[string, number]} */ (rows[0]);
console.log("IAM evaluation, guide bucket policy (Deny + StringNotEquals aws:sourceVpce), alternating endpoints");
console.log(`${"evaluator".padEnd(34)}${"ops/s".padStart(14)}${"ours / this".padStart(14)}`);
for (const [name, perSecond] of rows) {
  console.log(
    `${name.padEnd(34)}${Math.round(perSecond).toLocaleString("en-US").padStart(14)}${`${(oursPerSecond / perSecond).toFixed(1)}x`.padStart(14)}`,
  );
}
