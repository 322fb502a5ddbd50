import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { GUIDE, ackBucket, denyUnlessEndpoint, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "vpce-condition-value" as const;

describe("vpce-condition-value", () => {
  it("denies an endpoint ARN and says it locks everyone out under Deny + StringNotEquals", () => {
    const policy = denyUnlessEndpoint("b", "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-1a2b3c4d");
    const findings = check([upjetBucketPolicy({ policy })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("deny");
    expect(findings[0]!.message).toMatch(/is an ARN/);
    expect(findings[0]!.message).toMatch(/locked out/);
    expect(findings[0]!.path).toBe('spec.forProvider.policy → Statement[0].Condition.StringNotEquals["aws:SourceVpce"]');
  });

  it.each(["vpce-1a2b3c4d", "vpce-0a1b2c3d4e5f67890"])("accepts the id %s", (id) => {
    expect(check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", id) })], {}, rule)).toEqual([]);
  });

  it.each(["vpce-1a2b3c4", "vpce-1A2B3C4D", "vpce-1a2b3c4d5", "1a2b3c4d"])("denies the malformed id %s", (id) => {
    expect(check([ackBucket({ policy: denyUnlessEndpoint("b", id) })], {}, rule)).toHaveLength(1);
  });

  it("checks aws:SourceVpc values as VPC ids", () => {
    expect(check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpc-111bbb22", "aws:sourceVpc") })], {}, rule)).toEqual([]);
    const bad = check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpce-111bbb22", "aws:SourceVpc") })], {}, rule);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.message).toMatch(/not a VPC id/);
  });

  it("allows wildcards only with StringLike / StringNotLike", () => {
    expect(check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpce-*", "aws:SourceVpce", "StringNotLike") })], {}, rule)).toEqual([]);
    const literal = check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpce-*", "aws:SourceVpce", "StringNotEquals") })], {}, rule);
    expect(literal).toHaveLength(1);
    expect(literal[0]!.message).toMatch(/wildcard/);
  });

  it("checks endpoint policies too, and passes the guide's examples", () => {
    const endpointPolicy = {
      Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceVpc": "my-vpc" } } }],
    };
    expect(check([upjetEndpoint({ policy: endpointPolicy })], {}, rule)).toHaveLength(1);
    expect(check([upjetBucketPolicy({ policy: GUIDE.specificEndpoint }), upjetBucketPolicy({ name: "v", policy: GUIDE.specificVpc })], {}, rule)).toEqual([]);
  });
});
