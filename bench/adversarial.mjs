// @ts-check
// Adversarial AdmissionReview bodies: what an attacker with create rights on one namespace
// can send to stall or kill the webhook (issue "No input can stall or kill the webhook").
// Shared by test/webhook/adversarial.test.ts and bench/fuzz-webhook.mjs (OVER_BUDGET_POLICY also
// by bench/symbolic-budget.mjs and test/engine/engine.test.ts). Each family is a
// function of a number (to vary uids and names) returning { name, body } where body is the
// request text; `declaredLength` marks a request whose Content-Length lies.

/**
 * An endpoint policy whose every symbolic question runs out of its work budget: a Deny that can
 * never match (never = x and never != x), but only the last key shows it; the 22 keys before it
 * each keep it open, 2^22 combinations. Shared by bench/symbolic-budget.mjs and the engine tests.
 */
export const OVER_BUDGET_POLICY = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" },
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "*",
      Condition: {
        StringNotEquals: {
          ...Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`aws:PrincipalTag/k${i}`, `v${i}`])),
          "aws:PrincipalTag/never": "x",
        },
        StringEquals: { "aws:PrincipalTag/never": "x" },
      },
    },
  ],
};

/** @type {(statements: unknown[]) => string} */
const policyText = (statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
/** @type {(extra: Record<string, unknown>) => Record<string, unknown>} */
const allow = (extra) => ({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::adv-bucket/*", ...extra });

/**
 * @param {number} uid
 * @param {string} policy
 */
function bucketPolicy(uid, policy, name = "adv-policy") {
  return {
    apiVersion: "s3.aws.upbound.io/v1beta1",
    kind: "BucketPolicy",
    metadata: { name },
    spec: { forProvider: { region: "us-east-1", bucket: "adv-bucket", policy } },
  };
}

/**
 * @param {number} uid
 * @param {{ region?: string; policy?: string; annotations?: Record<string, string> }} [options]
 */
function endpoint(uid, { region = "us-east-1", policy, annotations } = {}) {
  return {
    apiVersion: "ec2.aws.upbound.io/v1beta2",
    kind: "VPCEndpoint",
    metadata: { name: `adv-endpoint-${uid}`, ...(annotations ? { annotations } : {}) },
    spec: {
      forProvider: {
        region,
        serviceName: `com.amazonaws.${region}.s3`,
        vpcEndpointType: "Gateway",
        vpcId: "vpc-0a1b2c3d4e5f67890",
        ...(policy ? { policy } : {}),
      },
    },
  };
}

/**
 * An AdmissionReview v1 CREATE of `object`, as the API server sends it.
 * @param {{ apiVersion: string; kind: string; metadata: { name: string } }} object
 * @param {Record<string, unknown>} [extra]
 */
export function reviewOf(object, uid = "adv-uid", extra = {}) {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: object.kind },
      name: object.metadata.name,
      operation: "CREATE",
      object,
      oldObject: null,
      dryRun: false,
      ...extra,
    },
  });
}

/** @type {(count: number) => string} */
const bigActionList = (count) =>
  `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":[${"1,".repeat(count - 1)}1],"Resource":"arn:aws:s3:::adv-bucket/*"}]}`;

/**
 * Families that reach the engine: each must get a well-formed AdmissionReview answer.
 * @type {Record<string, (n: number) => string>}
 */
export const REVIEW_FAMILIES = {
  // ReDoS shapes from the issue (seconds each with the old backtracking RegExps).
  "resource-24-stars": (n) => reviewOf(bucketPolicy(n, policyText([allow({ Resource: `arn:${"*".repeat(24)}X:s3:::b` })])), `adv-${n}`),
  "bucket-glob-stars": (n) => reviewOf(bucketPolicy(n, policyText([allow({ Resource: "arn:aws:s3:::********X" })])), `adv-${n}`),
  "consumer-long-region": (n) =>
    reviewOf(
      endpoint(n, {
        region: `us-${"a".repeat(300)}`,
        annotations: { "s3-vpce-guard.io/consumers": "cloudformation" },
        policy: policyText([
          allow({ Action: "s3:PutObject", Resource: `arn:aws:s3:::cloudformation-waitcondition-${"a*".repeat(30)}b/*` }),
        ]),
      }),
      `adv-${n}`,
    ),
  "action-stars-and-questions": (n) => reviewOf(bucketPolicy(n, policyText([allow({ Action: `s3:${"*?".repeat(10)}Z` })])), `adv-${n}`),
  "action-1000-stars": (n) => reviewOf(bucketPolicy(n, policyText([allow({ Action: `${"*".repeat(1000)}:GetObject` })])), `adv-${n}`),
  // Findings and issues multiplied by list length (one per element before).
  // 64,000 elements (just under the 128 KiB policy limit): more work than the default budget.
  "action-list-of-numbers": (n) => reviewOf(bucketPolicy(n, bigActionList(64_000)), `adv-${n}`),
  // A different 33 KB policy every time (the parse cache held 4,096 of them).
  "distinct-33kb-policies": (n) =>
    reviewOf(
      bucketPolicy(
        n,
        policyText([allow({ Sid: `S${n}`, Resource: Array.from({ length: 700 }, (_, i) => `arn:aws:s3:::adv-bucket/p${n}-${i}/*`) })]),
      ),
      `adv-${n}`,
    ),
  // A resource pattern of 700 KB (the RegExp caches kept keys of any length).
  "resource-700kb": (n) =>
    reviewOf(bucketPolicy(n, policyText([allow({ Resource: `arn:aws:s3:::${"a*".repeat(350_000)}${n}` })])), `adv-${n}`),
  // JSON nested a million levels deep inside the policy string.
  "policy-1m-deep": (n) =>
    reviewOf(bucketPolicy(n, `{"Version":"2012-10-17","Statement":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`), `adv-${n}`),
  // Our own: many statements with long patterns, so that evaluation is the cost.
  "many-long-patterns": (n) =>
    reviewOf(
      bucketPolicy(
        n,
        policyText(
          Array.from({ length: 400 }, (_, i) => ({
            Effect: i % 2 ? "Allow" : "Deny",
            Principal: "*",
            Action: [`s3:${"?*".repeat(30)}${i}`],
            Resource: [`arn:aws:s3:::${"a*".repeat(30)}${"b".repeat(1900)}${i}/*`],
            Condition: { StringLike: { "aws:SourceVpce": `vpce-${"?*".repeat(30)}${i}`, "aws:userid": `${"a*".repeat(30)}z` } },
          })),
        ),
      ),
      `adv-${n}`,
    ),
  // Our own: a long bucket name against many star-heavy patterns, so that matching in the
  // rules (not parsing) is the cost.
  "long-bucket-many-stars": (n) => {
    const object = bucketPolicy(
      n,
      policyText(Array.from({ length: 200 }, (_, i) => allow({ Resource: `arn:aws:s3:::${"a*".repeat(30)}c${i}/*` }))),
    );
    object.spec.forProvider.bucket = "a".repeat(2000);
    return reviewOf(object, `adv-${n}`);
  },
  // Our own: a valid policy of 1.7 MB (100k Action entries), over the 128 KiB policy limit.
  "policy-over-size-limit": (n) =>
    reviewOf(
      bucketPolicy(n, policyText([allow({ Action: Array.from({ length: 100_000 }, (_, i) => `s3:GetObject${i % 7 ? "" : "*"}`) })])),
      `adv-${n}`,
    ),
  // Our own: a name and labels far over Kubernetes' limits inside the object.
  "huge-object-name": (n) => reviewOf({ ...bucketPolicy(n, policyText([allow({})]), `adv-${"n".repeat(1_000_000)}`) }, `adv-${n}`),
  // Our own: deep nesting elsewhere in the object (not a policy).
  "deep-spec-field": (n) => {
    const object = bucketPolicy(n, policyText([allow({})]));
    return reviewOf(object, `adv-${n}`).replace(
      '"region":"us-east-1"',
      `"region":"us-east-1","tags":${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    );
  },
};

/**
 * Families the HTTP layer must refuse with a 4xx before the engine sees them.
 * @type {Record<string, (n: number) => { status: number; body: string; declaredLength?: number }>}
 */
export const HTTP_FAMILIES = {
  "uid-2mb": (n) => ({ status: 400, body: reviewOf(bucketPolicy(n, policyText([allow({})])), `${"u".repeat(2 * 1024 * 1024)}${n}`) }),
  "invalid-json-with-secret": () => ({ status: 400, body: `AKIAIOSFODNN7EXAMPLE${"x".repeat(1000)}` }),
  "declared-length-over-limit": () => ({ status: 413, body: "", declaredLength: 3 * 1024 * 1024 + 1 }),
};

/**
 * A small review that must keep coming back well-formed while the others are in flight.
 * @param {number} n
 */
export function normalReview(n) {
  return reviewOf(
    bucketPolicy(n, policyText([allow({ Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d5e6f7a8b9" } } })]), "normal-policy"),
    `normal-${n}`,
  );
}
