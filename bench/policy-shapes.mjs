// @ts-check
// Cost of one admission review for the bucket-policy shapes real platforms write, at 10, 40 and
// 120 statements: a guard Deny with a grant per team, grants by account, grants by source
// address, a NotIpAddress guard, prefix isolation by principal, a Deny per endpoint, an
// organisation guard, mixed Allow/Deny with action wildcards. Each is reviewed as a BucketPolicy
// CREATE through the shipped admission handler, in three clusters: nothing else in it (every
// endpoint the policy names is unknown), the endpoint and bucket without an endpoint policy, and
// with a 60-statement endpoint policy. Prints the median time of a review, the decision, the
// findings, "not checked" (the review ran out of its work limit) and the rules that left a
// question undecided (over its budget: they claim nothing).
//
// Usage: npm run build && node bench/policy-shapes.mjs [--dist dist] [--runs 5] [--statements 10,40,120]
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { admissionReviewFor, inProcessAdmission } from "./webhook-process.mjs";

const { values: args } = parseArgs({
  options: {
    dist: { type: "string", default: "dist" },
    runs: { type: "string", default: "5" },
    statements: { type: "string", default: "10,40,120" },
  },
});
const dist = resolve(import.meta.dirname, "..", args.dist);

const ENDPOINT_ID = "vpce-0a1b2c3d4e5f67890";
const BUCKET = "team-data";
const ARN = `arn:aws:s3:::${BUCKET}`;
const ACCOUNT = "123456789012";
const role = (/** @type {string} */ name) => ({ AWS: `arn:aws:iam::${ACCOUNT}:role/${name}` });
const guard = {
  Sid: "DenyUnlessEndpoint",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [ARN, `${ARN}/*`],
  Condition: { StringNotEquals: { "aws:SourceVpce": ENDPOINT_ID } },
};
/** @type {(n: number) => object[]} */
const teamGrants = (n) =>
  Array.from({ length: n }, (_, j) => ({
    Sid: `Team${j}`,
    Effect: "Allow",
    Principal: role(`team-${j}`),
    Action: ["s3:GetObject", "s3:PutObject"],
    Resource: `${ARN}/team-${j}/*`,
    Condition: { StringEquals: { "aws:SourceVpce": ENDPOINT_ID } },
  }));
/** @type {(n: number) => object[]} */
const accountGrants = (n) =>
  Array.from({ length: n }, (_, j) => ({
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::1234567890${String(j % 100).padStart(2, "0")}:root` },
    Action: "s3:GetObject",
    Resource: `${ARN}/partner-${j}/*`,
  }));

/** name → statements of a policy of (about) n statements */
const SHAPES = /** @type {Record<string, (n: number) => object[]>} */ ({
  "guard Deny + a grant per team (same endpoint)": (n) => [guard, ...teamGrants(n - 1)],
  "grants per partner account": accountGrants,
  "grants per source address (IpAddress)": (n) =>
    Array.from({ length: n }, (_, j) => ({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `${ARN}/site-${j}/*`,
      Condition: { IpAddress: { "aws:SourceIp": `203.0.${j % 256}.0/24` } },
    })),
  "Deny NotIpAddress + endpoint, then grants": (n) => [
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [ARN, `${ARN}/*`],
      Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24"] }, StringNotEquals: { "aws:SourceVpce": ENDPOINT_ID } },
    },
    ...accountGrants(n - 1),
  ],
  "prefix isolation: Deny unless the team's roles": (n) =>
    Array.from({ length: n }, (_, j) => ({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: `${ARN}/team-${j}/*`,
      Condition: { StringNotLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/team-${j}-*` } },
    })),
  "a Deny per endpoint (writes from one endpoint each)": (n) =>
    Array.from({ length: n }, (_, j) => ({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${ARN}/in-${j}/*`,
      Condition: { StringNotEquals: { "aws:SourceVpce": `vpce-${String(j).padStart(8, "0")}` } },
    })),
  "endpoint and organisation guards + team grants": (n) => [
    guard,
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [ARN, `${ARN}/*`],
      Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123def4" } },
    },
    ...teamGrants(n - 2),
  ],
  "mixed Allow/Deny with action wildcards": (n) =>
    Array.from({ length: n }, (_, j) => ({
      Effect: j % 2 ? "Deny" : "Allow",
      Principal: role(`app-${j}`),
      Action: ["s3:Get*", `s3:Put${j % 3 ? "Object" : "*"}`, "s3:List*"],
      Resource: [`${ARN}/k${j}/*`, ARN],
      Condition: { StringEquals: { "aws:SourceVpce": ENDPOINT_ID } },
    })),
});

const endpoint = (/** @type {string | undefined} */ policy) => ({
  apiVersion: "ec2.aws.upbound.io/v1beta1",
  kind: "VPCEndpoint",
  metadata: { name: "s3-gateway" },
  spec: {
    forProvider: {
      region: "us-east-1",
      vpcId: "vpc-0a1b2c3d",
      serviceName: "com.amazonaws.us-east-1.s3",
      vpcEndpointType: "Gateway",
      ...(policy ? { policy } : {}),
    },
  },
  status: { atProvider: { id: ENDPOINT_ID } },
});
const endpointPolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: Array.from({ length: 60 }, (_, j) => ({
    Effect: "Allow",
    Principal: role(`team-${j}`),
    Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
    Resource: [ARN, `${ARN}/team-${j}/*`, `arn:aws:s3:::other-${j}/*`],
  })),
});
const bucket = {
  apiVersion: "s3.aws.upbound.io/v1beta2",
  kind: "Bucket",
  metadata: { name: BUCKET },
  spec: { forProvider: { region: "us-east-1" } },
};
const CLUSTERS = /** @type {Record<string, object[]>} */ ({
  "nothing else (endpoints unknown)": [],
  "endpoint + bucket": [endpoint(undefined), bucket],
  "endpoint with 60-statement policy + bucket": [endpoint(endpointPolicy), bucket],
});

const runs = Number(args.runs);
const sizes = args.statements.split(",").map(Number);
/** @type {number[]} */
const all = [];
console.log(`${runs} reviews each (median), node ${process.version}, ${dist}\n`);
console.log("| cluster | policy shape | statements | policy | ms per review | decision | findings | not checked | undecided questions |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [cluster, objects] of Object.entries(CLUSTERS)) {
  const handler = await inProcessAdmission(args.dist, objects);
  for (const [shape, statements] of Object.entries(SHAPES)) {
    for (const n of sizes) {
      const policy = JSON.stringify({ Version: "2012-10-17", Statement: statements(n) });
      const body = JSON.stringify(
        admissionReviewFor({
          apiVersion: "s3.aws.upbound.io/v1beta1",
          kind: "BucketPolicy",
          metadata: { name: `${BUCKET}-policy` },
          spec: { forProvider: { region: "us-east-1", bucket: BUCKET, policy } },
        }),
      );
      /** @type {number[]} */
      const samples = [];
      let result;
      for (let i = 0; i < runs; i++) {
        // A new parse each time, as from the network (the caches see a new policy object).
        const start = performance.now();
        const parsed = handler.parse(JSON.parse(body));
        if (!parsed.ok) throw new Error(parsed.message);
        result = handler.decide(parsed.request);
        samples.push(performance.now() - start);
      }
      samples.sort((a, b) => a - b);
      const median = samples[samples.length >> 1] ?? NaN;
      all.push(median);
      const notChecked = result.findings.filter((/** @type {{ message: string }} */ f) => f.message.includes(": not checked:")).length;
      const undecided = /** @type {string[]} */ (result.undecided ?? []);
      const rules = [...new Set(undecided)].map((rule) => `${rule} ×${undecided.filter((r) => r === rule).length}`).join(", ");
      console.log(
        `| ${cluster} | ${shape} | ${n} | ${(policy.length / 1024).toFixed(1)} KB | ${median.toFixed(1)} | ${result.decision} | ${result.findings.length} | ${notChecked || ""} | ${rules} |`,
      );
    }
  }
}
all.sort((a, b) => a - b);
console.log(`\nmedian of the rows ${(all[all.length >> 1] ?? NaN).toFixed(2)} ms, slowest row ${(all.at(-1) ?? NaN).toFixed(1)} ms`);
