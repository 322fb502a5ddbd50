import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { GUIDE, ackBucket, communityBucket, denyUnlessEndpoint, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "vpce-condition-value" as const;

describe("vpce-condition-value", () => {
  it("denies an endpoint ARN and says it locks everyone out under Deny + StringNotEquals", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-1a2b3c4d");
    const findings = check([upjetBucketPolicy({ policy })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("deny");
    expect(findings[0]!.message).toMatch(/is an ARN/);
    expect(findings[0]!.message).toMatch(
      /matches every request to bucket my-secure-bucket: everyone, administrators included, is locked out/,
    );
    expect(findings[0]!.path).toBe('spec.forProvider.policy → Statement[0].Condition.StringNotEquals["aws:SourceVpce"]');
  });

  it("reads a policy once but words each review for its own object", () => {
    // The same policy text is one parsed document: its problems are kept, the messages are not.
    const policy = denyUnlessEndpoint("my-secure-bucket", "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-1a2b3c4d");
    for (const name of ["first", "second", "first"]) {
      const findings = check([upjetBucketPolicy({ name, policy })], {}, rule);
      expect(findings.map((f) => f.resource.name)).toEqual([name]);
      expect(findings[0]!.message).toMatch(/is an ARN/);
    }
    expect(check([upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-1a2b3c4d") })], {}, rule)).toEqual([]);
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
    expect(check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpce-*", "aws:SourceVpce", "StringNotLike") })], {}, rule)).toEqual(
      [],
    );
    const literal = check(
      [upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpce-*", "aws:SourceVpce", "StringNotEquals") })],
      {},
      rule,
    );
    expect(literal).toHaveLength(1);
    expect(literal[0]!.message).toMatch(/wildcard/);
  });

  it("says nothing about a policy variable (a request value), but reads the escapes as literal text", () => {
    expect(
      check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "${aws:SourceVpce}", "aws:SourceVpce", "StringNotEquals") })], {}, rule),
    ).toEqual([]);
    const escaped = check(
      [upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "vpce-${*}", "aws:SourceVpce", "StringNotEquals") })],
      {},
      rule,
    );
    expect(escaped).toHaveLength(1);
  });

  it("checks endpoint policies too, and passes the guide's examples", () => {
    const endpointPolicy = {
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceVpc": "my-vpc" } } },
      ],
    };
    expect(check([upjetEndpoint({ policy: endpointPolicy })], {}, rule)).toHaveLength(1);
    expect(
      check([upjetBucketPolicy({ policy: GUIDE.specificEndpoint }), upjetBucketPolicy({ name: "v", policy: GUIDE.specificVpc })], {}, rule),
    ).toEqual([]);
  });

  describe("the operator counts", () => {
    const withCondition = (effect: string, condition: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "S",
          Effect: effect,
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
          Condition: { ...condition, ...extra },
        },
      ],
    });

    it("Null takes true/false, not an id", () => {
      for (const manifest of [
        upjetBucketPolicy({ policy: withCondition("Deny", { Null: { "aws:SourceVpce": "true" } }) }),
        ackBucket({ policy: withCondition("Deny", { Null: { "aws:SourceVpce": "true" } }) }),
        upjetEndpoint({ policy: withCondition("Allow", { Null: { "aws:SourceVpc": "false" } }) }),
      ]) {
        expect(check([manifest], {}, rule)).toEqual([]);
      }
    });

    it("the IgnoreCase operators compare without case", () => {
      const policy = withCondition("Deny", { StringNotEqualsIgnoreCase: { "aws:SourceVpce": "VPCE-0A1B2C3D4E5F67890" } });
      expect(check([upjetBucketPolicy({ policy }), ackBucket({ policy })], {}, rule)).toEqual([]);
      const plain = withCondition("Deny", { StringNotEquals: { "aws:SourceVpce": "VPCE-0A1B2C3D4E5F67890" } });
      expect(check([upjetBucketPolicy({ policy: plain })], {}, rule)).toHaveLength(1);
    });

    it("one bad value beside a good one is a dead entry, not a lock-out, and the path names the element", () => {
      const policy = withCondition("Deny", {
        StringNotEquals: { "aws:SourceVpce": ["vpce-1a2b3c4d", "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-9"] },
      });
      for (const manifest of [upjetBucketPolicy({ policy }), ackBucket({ policy })]) {
        const findings = check([manifest], {}, rule);
        expect(findings).toHaveLength(1);
        expect(findings[0]!.message).toMatch(/dead, not a lock-out/);
        expect(findings[0]!.message).not.toMatch(/locked out|no request can ever match/);
        expect(findings[0]!.path).toMatch(/StringNotEquals\["aws:SourceVpce"\]\[1\]$/);
      }
    });

    it("a Deny + StringNotEquals with a bad value and a principal exception is no lock-out, and says who is denied", () => {
      const policy = withCondition(
        "Deny",
        { StringNotEquals: { "aws:SourceVpce": "vpce-ARN" } },
        { ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/BreakGlass" } },
      );
      const findings = check([upjetBucketPolicy({ policy })], {}, rule);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.message).not.toMatch(/locked out/);
      expect(findings[0]!.message).toMatch(
        /applies whenever its other conditions hold, e\.g\. s3:GetObject on .* is denied by Statement\[0\] \(Sid S\)/,
      );
    });

    it("never says that a Deny + StringNotEquals with a bad value can never match (the reverse is true)", () => {
      const findings = check([upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-bad") })], {}, rule);
      expect(findings[0]!.message).not.toMatch(/can ever match it/);
    });
  });

  it("points at the offending element of a structured community policy's list", () => {
    const structured = {
      version: "2012-10-17",
      statements: [
        {
          effect: "Deny",
          principal: { allowAnon: true },
          action: ["s3:*"],
          resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
          condition: [
            {
              operatorKey: "StringNotEquals",
              conditions: [
                { key: "aws:SourceVpce", listValue: ["vpce-1a2b3c4d", "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-1a2b3c4d"] },
              ],
            },
          ],
        },
      ],
    };
    const findings = check([communityBucket({ policy: structured })], {}, rule);
    expect(findings.map((f) => f.path)).toEqual(["spec.forProvider.policy.statements[0].condition[0].conditions[0].listValue[1]"]);
  });
});

describe("vpce-condition-value: answers remembered across reviews", () => {
  // One policy text for two buckets: its Deny names my-secure-bucket, so only there does it lock everyone out.
  const policy = denyUnlessEndpoint("my-secure-bucket", "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/vpce-1a2b3c4d");
  const review = (bucket: string) => check([upjetBucketPolicy({ name: `${bucket}-policy`, bucket, policy })], {}, rule);

  it("gives each bucket its own lock-out note, in either order, and the same findings when asked again", () => {
    const other = review("other-bucket");
    const own = review("my-secure-bucket");
    expect(other).toHaveLength(1);
    expect(other[0]!.message).toMatch(/is an ARN/);
    expect(other[0]!.message).not.toMatch(/locked out/);
    expect(own[0]!.message).toMatch(/matches every request to bucket my-secure-bucket: everyone, administrators included, is locked out/);
    expect(review("other-bucket")).toEqual(other);
    expect(review("my-secure-bucket")).toEqual(own);
  });
});
