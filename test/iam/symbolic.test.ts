import { describe, expect, it } from "vitest";
import { ask, verdictOf, type RequestSpace } from "../../src/core/iam/symbolic.js";
import { evaluatePolicies, type Decision, type PolicyDocument } from "../../src/core/iam/index.js";
import { documentOf } from "./helpers.js";

const BUCKET = "arn:aws:s3:::reports";
const ENDPOINT_SPACE: RequestSpace = {
  actions: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
  resources: [BUCKET, { prefix: `${BUCKET}/`, free: true, level: "object" }],
  keys: {
    "aws:SourceVpce": { kind: "fixed", value: "vpce-0a1b2c3d" },
    "aws:SourceVpc": { kind: "fixed", value: "vpc-11112222" },
    "aws:SourceIp": { kind: "address", cidrs: ["10.0.0.0/16"] },
  },
};
const deniedOrNot = (decisions: readonly Decision[]) => (decisions[0] === "ExplicitDeny" ? "denied" : "passes");
const allowedOrNot = (decisions: readonly Decision[]) => (decisions[0] === "Allow" ? "allowed" : "refused");

function bucketPolicy(...statements: object[]): PolicyDocument {
  return documentOf({ Version: "2012-10-17", Statement: statements });
}

describe("symbolic evaluation", () => {
  it("ANDs condition blocks: Deny NotIpAddress + StringNotEquals SourceVpce lets the named endpoint through", () => {
    const policy = bucketPolicy({
      Sid: "DenyOutside",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [BUCKET, `${BUCKET}/*`],
      Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" }, StringNotEquals: { "aws:SourceVpce": "vpce-0a1b2c3d" } },
    });
    const answer = ask({ layers: [[policy]], space: ENDPOINT_SPACE, classify: deniedOrNot });
    expect(verdictOf(answer, "denied")).toBe("never");
    const elsewhere = ask({
      layers: [[policy]],
      space: { ...ENDPOINT_SPACE, keys: { ...ENDPOINT_SPACE.keys, "aws:SourceVpce": { kind: "present" } } },
      classify: deniedOrNot,
    });
    expect(verdictOf(elsewhere, "denied")).toBe("sometimes");
    const witness = elsewhere.witnesses.get("denied")!;
    expect(evaluatePolicies(witness.request, [policy]).decision).toBe("ExplicitDeny");
    expect(witness.request.context?.["aws:SourceVpce"]).not.toBe("vpce-0a1b2c3d");
  });

  it("treats free keys as free: an org-limited Allow is sometimes allowed, never always", () => {
    const policy = bucketPolicy({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:*",
      Resource: "*",
      Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
    });
    const answer = ask({ layers: [[policy]], space: ENDPOINT_SPACE, classify: allowedOrNot });
    expect(verdictOf(answer, "allowed")).toBe("sometimes");
    expect(answer.witnesses.get("allowed")!.request.context?.["aws:PrincipalOrgID"]).toBe("o-abc123");
  });

  it("says always when every request matches, whatever the free keys", () => {
    const policy = bucketPolicy({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [BUCKET, `${BUCKET}/*`],
      Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
    });
    expect(verdictOf(ask({ layers: [[policy]], space: ENDPOINT_SPACE, classify: deniedOrNot }), "denied")).toBe("always");
  });

  it("finds the class of a wildcard pattern and of its complement", () => {
    const policy = bucketPolicy({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: `${BUCKET}/*`,
      Condition: { StringNotLike: { "aws:PrincipalArn": ["arn:aws:iam::*:role/Admin*", "arn:aws:iam::*:role/Break*"] } },
    });
    const answer = ask({ layers: [[policy]], space: { ...ENDPOINT_SPACE, actions: ["s3:GetObject"] }, classify: deniedOrNot });
    expect(verdictOf(answer, "denied")).toBe("sometimes");
  });

  it("stays undecided over budget, and the budget bounds the work", () => {
    const conditions = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`aws:PrincipalTag/t${i}`, [`a${i}`, `b${i}`, `c${i}`]]));
    const policy = bucketPolicy(
      { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringEquals: conditions } },
      { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: conditions } },
    );
    const answer = ask({ layers: [[policy]], space: ENDPOINT_SPACE, classify: (d) => d[0]!, budget: 500 });
    expect(answer.exhaustive).toBe(false);
    expect(answer.steps).toBeLessThanOrEqual(501);
    expect(verdictOf(answer, "ExplicitDeny")).not.toBe("always");
  });

  it("asks 'is it denied?' over the Deny statements only: one guard and 60 grants is a handful of classes", () => {
    // The shape of real bucket policies: a Deny-unless-endpoint guard, then one grant per team
    // (its own role, prefix and endpoint condition). Every grant adds a principal class and a
    // resource class, so the full search covers their product; Allow statements cannot make a
    // request explicitly denied, so the deny-only search does not need them.
    const grants = Array.from({ length: 60 }, (_, j) => ({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::123456789012:role/reader-${j}` },
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: `${BUCKET}/team-${j}/*`,
      Condition: { StringEquals: { "aws:SourceVpce": "vpce-0a1b2c3d" } },
    }));
    const policy = bucketPolicy(
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [BUCKET, `${BUCKET}/*`],
        Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-0a1b2c3d" } },
      },
      ...grants,
    );
    // Every request that does not come through vpce-0a1b2c3d, from anyone: all denied.
    const space: RequestSpace = {
      actions: ENDPOINT_SPACE.actions,
      resources: ENDPOINT_SPACE.resources,
      keys: { "aws:SourceVpce": { kind: "free", except: ["vpce-0a1b2c3d"] } },
    };
    const full = ask({ layers: [[policy]], space, classify: deniedOrNot });
    expect(verdictOf(full, "denied")).toBe("undecided");
    const denyOnly = ask({ layers: [[policy]], space, classify: deniedOrNot, denyOnly: true });
    expect(verdictOf(denyOnly, "denied")).toBe("always");
    expect(denyOnly.steps).toBeLessThan(100);
    // Through the endpoint the guard passes: a witness, evaluated against the whole policy.
    const through = ask({ layers: [[policy]], space: ENDPOINT_SPACE, classify: deniedOrNot, denyOnly: true });
    expect(verdictOf(through, "denied")).toBe("never");
    expect(through.witnesses.get("passes")!.evaluations[0]!.decision).not.toBe("ExplicitDeny");
  });

  it("a deny-only question's classify never sees Allow, so it cannot tell Allow from ImplicitDeny", () => {
    const policy = bucketPolicy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${BUCKET}/*` });
    const seen = new Set<Decision>();
    ask({
      layers: [[policy]],
      space: ENDPOINT_SPACE,
      classify: (decisions) => {
        seen.add(decisions[0]!);
        return decisions[0]!;
      },
      denyOnly: true,
    });
    expect([...seen]).toEqual(["ImplicitDeny"]);
  });

  it("handles Null, numbers, dates, Bool and multi-valued keys", () => {
    const policy = bucketPolicy({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "*",
      Condition: {
        Null: { "aws:SourceVpce": "false" },
        NumericLessThan: { "s3:max-keys": "10" },
        DateGreaterThan: { "aws:CurrentTime": "2025-01-01T00:00:00Z" },
        Bool: { "aws:SecureTransport": "true" },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b"] },
      },
    });
    const answer = ask({ layers: [[policy]], space: { ...ENDPOINT_SPACE, actions: ["s3:GetObject"] }, classify: allowedOrNot });
    expect(verdictOf(answer, "allowed")).toBe("sometimes");
    const allowed = answer.witnesses.get("allowed")!;
    expect(evaluatePolicies(allowed.request, [policy]).decision).toBe("Allow");
  });
});
