/**
 * Soundness of the symbolic evaluator, property-based (fixed seeds, see test/helpers/fuzz.ts):
 * - every witness gets the claimed decision from our concrete evaluator and from
 *   @cloud-copilot/iam-simulate (test-only oracle);
 * - "always" / "never" answers survive random concrete requests from the question's space;
 * - a brute-force enumeration of a grid of requests finds no outcome the symbolic search missed.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluatePolicies, type AccessRequest, type Decision, type PolicyDocument } from "../../src/core/iam/index.js";
import { ask, verdictOf, type KeyDomain, type RequestSpace } from "../../src/core/iam/symbolic.js";
import { fuzzSettings } from "../helpers/fuzz.js";
import { ACCOUNT, policyArbitrary, REQUESTER, type JsonPolicy } from "./arbitraries.js";
import { documentOf } from "./helpers.js";

const BUCKET = "arn:aws:s3:::b1";
const ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"];
const label = (decisions: readonly Decision[]) => decisions[0]!;

const keyDomainArbitrary: fc.Arbitrary<Record<string, KeyDomain>> = fc
  .record({
    vpce: fc.constantFrom<KeyDomain | undefined>(
      undefined,
      { kind: "fixed", value: "vpce-1a2b3c4d" },
      { kind: "present" },
      { kind: "free", except: ["vpce-99999999"] },
    ),
    vpc: fc.constantFrom<KeyDomain | undefined>(undefined, { kind: "fixed", value: "vpc-111bbb22" }, { kind: "present" }),
    ip: fc.constantFrom<KeyDomain | undefined>(
      undefined,
      { kind: "address", cidrs: ["10.0.0.0/8"] },
      { kind: "address", cidrs: ["203.0.113.0/24", "2001:db8::/32"] },
    ),
  })
  .map(({ vpce, vpc, ip }) => {
    const keys: Record<string, KeyDomain> = {};
    if (vpce) keys["aws:SourceVpce"] = vpce;
    if (vpc) keys["aws:SourceVpc"] = vpc;
    if (ip) keys["aws:SourceIp"] = ip;
    return keys;
  });

function spaceOf(keys: Record<string, KeyDomain>): RequestSpace {
  return {
    actions: ACTIONS,
    resources: [BUCKET, { prefix: `${BUCKET}/`, free: true, level: "object" }],
    keys,
    principal: { type: "AWS", id: REQUESTER },
  };
}

const ORACLE: Readonly<Record<string, Decision>> = { Allowed: "Allow", ExplicitlyDenied: "ExplicitDeny", ImplicitlyDenied: "ImplicitDeny" };

async function oracle(policy: JsonPolicy, request: AccessRequest): Promise<Decision> {
  const context = Object.fromEntries(
    Object.entries(request.context ?? {}).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined),
  );
  const simulation: Simulation = {
    request: {
      principal: REQUESTER,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: policy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType !== "single") throw new Error(`simulator refused the input: ${JSON.stringify(result)}`);
  return ORACLE[result.overallResult] as Decision;
}

/** Values a key may take in random requests: the policy's literals, variations, strangers, absence. */
function sampleValues(policy: PolicyDocument, key: string): (string | undefined)[] {
  const literals = policy.statements.flatMap((s) => s.conditions.filter((c) => c.key.toLowerCase() === key).flatMap((c) => c.values));
  const variants = literals.flatMap((value) => [
    value,
    value.replace(/[*?]/g, ""),
    value.replace(/\*/g, "zz").replace(/\?/g, "q"),
    `${value}x`,
  ]);
  if (key === "aws:sourceip")
    return [undefined, "10.0.1.25", "10.255.255.255", "203.0.113.9", "203.0.114.1", "198.51.100.200", "2001:db8::7", "2001:db9::1"];
  return [undefined, "zz-stranger", "", ...new Set(variants)];
}

function inDomain(domain: KeyDomain | undefined, value: string | undefined): boolean {
  if (!domain) return true;
  switch (domain.kind) {
    case "fixed":
      return value === domain.value;
    case "present":
      return value !== undefined && !(domain.except ?? []).includes(value);
    case "free":
      return value === undefined || !(domain.except ?? []).includes(value);
    case "address":
      return (
        value !== undefined &&
        domain.cidrs.some((cidr) =>
          cidr.includes(":") ? value.startsWith("2001:db8:") : value.startsWith(cidr.startsWith("10.") ? "10." : "203.0.113."),
        )
      );
  }
}

/** Every request of a grid over the space (actions × resources × key values in the domain). */
function grid(policy: PolicyDocument, keys: Record<string, KeyDomain>): AccessRequest[] {
  const names = ["aws:SourceVpce", "aws:SourceVpc", "aws:SourceIp"];
  const perKey = names.map((name) => {
    const domain = keys[name];
    if (domain?.kind === "fixed") return [domain.value];
    const values = sampleValues(policy, name.toLowerCase()).filter((value) => inDomain(domain, value));
    return values.length > 0 ? values : ["zz-stranger"];
  });
  const requests: AccessRequest[] = [];
  const targets = [
    ["s3:ListBucket", BUCKET],
    ["s3:GetObject", `${BUCKET}/k1`],
    ["s3:PutObject", `${BUCKET}/docs/a.txt`],
    ["s3:GetObject", `${BUCKET}/x`],
  ] as const;
  for (const [action, resource] of targets) {
    for (const vpce of perKey[0]!) {
      for (const vpc of perKey[1]!) {
        for (const ip of perKey[2]!) {
          const context: Record<string, string> = {};
          if (vpce !== undefined) context["aws:SourceVpce"] = vpce;
          if (vpc !== undefined) context["aws:SourceVpc"] = vpc;
          if (ip !== undefined) context["aws:SourceIp"] = ip;
          requests.push({ action, resource, principal: { type: "AWS", id: REQUESTER }, context });
        }
      }
    }
  }
  return requests;
}

describe("symbolic evaluation: witnesses are sound", () => {
  it("every witness gets its label from our evaluator and from iam-simulate", async () => {
    await fc.assert(
      fc.asyncProperty(policyArbitrary, keyDomainArbitrary, async (json, keys) => {
        const policy = documentOf(json);
        const answer = ask({ layers: [[policy]], space: spaceOf(keys), classify: label });
        for (const witness of answer.witnesses.values()) {
          expect(evaluatePolicies(witness.request, [policy]).decision).toBe(witness.label);
          expect(await oracle(json, witness.request)).toBe(witness.label);
        }
      }),
      fuzzSettings(1_212, 120),
    );
  });
});

describe("symbolic evaluation: always / never hold for every request", () => {
  it("a brute-force grid over the space finds no decision the symbolic search missed", () => {
    fc.assert(
      fc.property(policyArbitrary, keyDomainArbitrary, (json, keys) => {
        const policy = documentOf(json);
        const answer = ask({ layers: [[policy]], space: spaceOf(keys), classify: label });
        expect(answer.exhaustive).toBe(true);
        for (const request of grid(policy, keys)) {
          const decision = evaluatePolicies(request, [policy]).decision;
          expect(answer.witnesses.has(decision), `${decision} for ${JSON.stringify(request)} was not found`).toBe(true);
        }
      }),
      fuzzSettings(1_213, 80),
    );
  });

  it("never / always answers survive random requests from the space, in iam-simulate too", async () => {
    await fc.assert(
      fc.asyncProperty(policyArbitrary, keyDomainArbitrary, fc.integer({ min: 0, max: 2 ** 30 }), async (json, keys, seed) => {
        const policy = documentOf(json);
        const answer = ask({ layers: [[policy]], space: spaceOf(keys), classify: label });
        const requests = grid(policy, keys);
        for (let i = 0; i < 5; i += 1) {
          const request = requests[(seed + i * 7919) % requests.length]!;
          const decision = evaluatePolicies(request, [policy]).decision;
          for (const candidate of ["Allow", "ExplicitDeny", "ImplicitDeny"] as const) {
            const verdict = verdictOf(answer, candidate);
            if (verdict === "never") expect(decision).not.toBe(candidate);
            if (verdict === "always") expect(decision).toBe(candidate);
          }
          expect(await oracle(json, request)).toBe(decision);
        }
      }),
      fuzzSettings(1_214, 60),
    );
  });
});

describe("symbolic evaluation: 'is it denied?' over the Deny statements only", () => {
  const denied = (decisions: readonly Decision[]) => (decisions[0] === "ExplicitDeny" ? "denied" : "passes");
  it("gives the full search's answer, and the grid finds no label it missed", () => {
    fc.assert(
      fc.property(policyArbitrary, keyDomainArbitrary, (json, keys) => {
        const policy = documentOf(json);
        const full = ask({ layers: [[policy]], space: spaceOf(keys), classify: denied });
        const denyOnly = ask({ layers: [[policy]], space: spaceOf(keys), classify: denied, denyOnly: true });
        expect(denyOnly.exhaustive).toBe(true);
        expect(verdictOf(denyOnly, "denied")).toBe(verdictOf(full, "denied"));
        for (const [label, witness] of denyOnly.witnesses)
          expect(denied([evaluatePolicies(witness.request, [policy]).decision])).toBe(label);
        for (const request of grid(policy, keys)) {
          const label = denied([evaluatePolicies(request, [policy]).decision]);
          expect(denyOnly.witnesses.has(label), `${label} for ${JSON.stringify(request)} was not found`).toBe(true);
        }
      }),
      fuzzSettings(1_215, 80),
    );
  });
});

/** Richer small policies: principals, org ids (exact, IgnoreCase, wildcard), numbers, Bool, Null, set operators. */
const richCondition = fc.oneof(
  fc.record({
    operator: fc.constantFrom(
      "StringEquals",
      "StringNotEquals",
      "StringLike",
      "StringNotLike",
      "StringEqualsIgnoreCase",
      "StringNotEqualsIfExists",
    ),
    key: fc.constant("aws:PrincipalOrgID"),
    values: fc.subarray(["o-abc", "O-ABC", "o-a*", "o-?bc", "o-zzz"], { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    operator: fc.constantFrom("NumericLessThan", "NumericGreaterThanEquals", "NumericNotEquals"),
    key: fc.constant("s3:max-keys"),
    values: fc.subarray(["10", "100", "2.5"], { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    operator: fc.constantFrom("Bool", "BoolIfExists"),
    key: fc.constant("aws:SecureTransport"),
    values: fc.subarray(["true", "false"], { minLength: 1, maxLength: 1 }),
  }),
  fc.record({
    operator: fc.constant("Null"),
    key: fc.constantFrom("aws:PrincipalOrgID", "aws:SourceVpce"),
    values: fc.subarray(["true", "false"], { minLength: 1, maxLength: 1 }),
  }),
  fc.record({
    operator: fc.constantFrom("ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringNotLike"),
    key: fc.constant("aws:TagKeys"),
    values: fc.subarray(["a", "b", "c*"], { minLength: 1, maxLength: 2 }),
  }),
);
const richStatement = fc
  .record({
    effect: fc.constantFrom("Allow", "Deny"),
    principal: fc.constantFrom<unknown>("*", { AWS: "*" }, { AWS: ACCOUNT }, { AWS: REQUESTER }, { Service: "logging.s3.amazonaws.com" }),
    notPrincipal: fc.boolean(),
    actions: fc.subarray(["s3:GetObject", "s3:PutObject", "s3:List*", "s3:*"], { minLength: 1, maxLength: 2 }),
    resources: fc.subarray(["arn:aws:s3:::b1", "arn:aws:s3:::b1/*", "arn:aws:s3:::b1/k*", "*"], { minLength: 1, maxLength: 2 }),
    conditions: fc.uniqueArray(richCondition, { maxLength: 2, selector: (c) => c.operator }),
  })
  .map(({ effect, principal, notPrincipal, actions, resources, conditions }) => {
    const statement: Record<string, unknown> = { Effect: effect, Action: actions, Resource: resources };
    statement[notPrincipal && principal !== "*" ? "NotPrincipal" : "Principal"] = principal;
    if (conditions.length > 0) statement.Condition = Object.fromEntries(conditions.map((c) => [c.operator, { [c.key]: c.values }]));
    return statement;
  });
const richPolicy = fc
  .array(richStatement, { minLength: 1, maxLength: 3 })
  .map((statements) => ({ Version: "2012-10-17", Statement: statements }));

const PRINCIPALS: AccessRequest["principal"][] = [
  { type: "Anonymous" },
  { type: "AWS", id: REQUESTER },
  { type: "AWS", id: `arn:aws:iam::${ACCOUNT}:role/other` },
  { type: "AWS", id: "arn:aws:iam::999988887777:role/stranger" },
  { type: "Service", id: "logging.s3.amazonaws.com" },
  { type: "Service", id: "other.amazonaws.com" },
];
const RICH_VALUES: Record<string, (string | string[] | undefined)[]> = {
  "aws:PrincipalOrgID": [undefined, "o-abc", "O-ABC", "o-abcd", "o-xbc", "o-zzz", "o-", "other"],
  "s3:max-keys": [undefined, "1", "2.5", "3", "10", "50", "100", "1000"],
  "aws:SecureTransport": [undefined, "true", "false"],
  "aws:SourceVpce": [undefined, "vpce-1a2b3c4d"],
  "aws:TagKeys": [undefined, ["a"], ["b"], ["a", "b"], ["c1"], ["a", "c1"], ["z"], ["a", "z"]],
};

describe("symbolic evaluation agrees with brute force on small random policies", () => {
  it("finds every decision a grid of principals and key values reaches (any principal, every key free)", () => {
    let exhaustive = 0;
    let runs = 0;
    fc.assert(
      fc.property(richPolicy, fc.integer({ min: 0, max: 2 ** 30 }), (json, seed) => {
        const policy = documentOf(json);
        const answer = ask({
          layers: [[policy]],
          space: { actions: ACTIONS, resources: [BUCKET, { prefix: `${BUCKET}/`, free: true, level: "object" }] },
          classify: label,
        });
        for (const witness of answer.witnesses.values()) expect(evaluatePolicies(witness.request, [policy]).decision).toBe(witness.label);
        runs += 1;
        // Not exhaustive (a multi-valued key with many classes): only "sometimes" may be claimed, nothing to check.
        if (!answer.exhaustive) return;
        exhaustive += 1;
        const keys = Object.keys(RICH_VALUES);
        for (let i = 0; i < 300; i += 1) {
          let state = (seed + i * 2654435761) >>> 0;
          const pick = <T>(list: readonly T[]): T => {
            state = (state * 1103515245 + 12345) >>> 0;
            return list[state % list.length]!;
          };
          const [action, resource] = pick([
            ["s3:ListBucket", BUCKET],
            ["s3:GetObject", `${BUCKET}/k1`],
            ["s3:PutObject", `${BUCKET}/docs/a.txt`],
          ] as const);
          const context: Record<string, string | string[]> = {};
          for (const key of keys) {
            const value = pick(RICH_VALUES[key]!);
            if (value !== undefined) context[key] = value;
          }
          const request: AccessRequest = { action, resource, principal: pick(PRINCIPALS), context };
          const decision = evaluatePolicies(request, [policy]).decision;
          expect(answer.witnesses.has(decision), `${decision} for ${JSON.stringify(request)} was not found`).toBe(true);
        }
      }),
      fuzzSettings(1_215, 150),
    );
    // The check above must bite: nearly every small policy is answered exhaustively.
    expect(exhaustive).toBeGreaterThan(runs * 0.9);
  });
});
