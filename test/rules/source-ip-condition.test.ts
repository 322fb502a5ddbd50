import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { GUIDE, ackBucket, communityBucket, communityBucketPolicy, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "source-ip-condition" as const;

const withIp = (effect: string, operator: string, cidr: string | string[]) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: effect,
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
      Condition: { [operator]: { "aws:SourceIp": cidr } },
    },
  ],
});

describe("source-ip-condition", () => {
  it("denies a private range, naming the condition path (a)", () => {
    const findings = check([upjetBucketPolicy({ policy: withIp("Allow", "IpAddress", "10.0.0.0/16") })], {}, rule);
    const privateRange = findings.find((f) => f.message.includes("private range"));
    expect(privateRange?.action).toBe("deny");
    expect(privateRange?.path).toBe('spec.forProvider.policy → Statement[0].Condition.IpAddress["aws:SourceIp"]');
  });

  it.each(["172.16.4.0/24", "192.168.1.1", "100.64.0.0/10"])("treats %s as private", (cidr) => {
    expect(check([ackBucket({ policy: withIp("Allow", "IpAddress", cidr) })], {}, rule).some((f) => f.action === "deny")).toBe(true);
  });

  it("denies Deny + NotIpAddress: all endpoint traffic denied (b)", () => {
    const findings = check([upjetBucketPolicy({ policy: withIp("Deny", "NotIpAddress", "203.0.113.0/24") })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("deny");
    expect(findings[0]!.message).toMatch(
      /matches every request through a VPC endpoint.*all endpoint traffic it covers is denied, e\.g\. s3:GetObject on arn:aws:s3:::b.* is denied by Statement\[0\]/,
    );
  });

  it("denies Deny + IpAddress: endpoint traffic bypasses the deny (c)", () => {
    const findings = check([upjetBucketPolicy({ policy: withIp("Deny", "IpAddress", "198.51.100.7/32") })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("deny");
    expect(findings[0]!.message).toMatch(/bypasses/);
  });

  it("warns on Allow + IpAddress and Allow + NotIpAddress with public ranges (d, e)", () => {
    const d = check([upjetBucketPolicy({ policy: withIp("Allow", "IpAddress", "198.51.100.0/24") })], {}, rule);
    const e = check([upjetBucketPolicy({ policy: withIp("Allow", "NotIpAddress", "198.51.100.0/24") })], {}, rule);
    expect(d.map((f) => f.action)).toEqual(["warn"]);
    expect(e.map((f) => f.action)).toEqual(["warn"]);
    expect(d[0]!.message).toMatch(/grants nothing/);
  });

  it("applies to endpoint policies and to the community structured bucket policy", () => {
    expect(check([upjetEndpoint({ policy: withIp("Deny", "NotIpAddress", "203.0.113.0/24") })], {}, rule)).toHaveLength(1);
    const structured = {
      version: "2012-10-17",
      statements: [
        {
          effect: "Deny",
          principal: { allowAnon: true },
          action: ["s3:*"],
          resource: ["arn:aws:s3:::my-secure-bucket/*"],
          condition: [{ operatorKey: "NotIpAddress", conditions: [{ key: "aws:SourceIp", stringValue: "203.0.113.0/24" }] }],
        },
      ],
    };
    expect(check([communityBucket({ policy: structured })], {}, rule).map((f) => f.action)).toEqual(["deny"]);
  });

  it("matches the key case-insensitively and IPv6 ranges too", () => {
    const policy = {
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::b/*",
          Condition: { NotIpAddress: { "AWS:SOURCEIP": "2001:db8::/32" } },
        },
      ],
    };
    expect(check([upjetBucketPolicy({ policy })], {}, rule)).toHaveLength(1);
  });

  it("passes policies that use aws:SourceVpce / aws:SourceVpc, like the guide's", () => {
    expect(
      check(
        [upjetBucketPolicy({ policy: GUIDE.specificEndpoint }), upjetBucketPolicy({ name: "p2", policy: GUIDE.specificVpc })],
        {},
        rule,
      ),
    ).toEqual([]);
  });

  describe("judges all condition blocks together (IAM ANDs them)", () => {
    const denyUnless = (conditions: Record<string, unknown>) => ({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyOutside",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
          Condition: conditions,
        },
      ],
    });
    const exempted = [
      [
        "NotIpAddress + StringNotEquals aws:SourceVpce",
        { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" }, StringNotEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } },
      ],
      [
        "NotIpAddressIfExists + StringNotEqualsIfExists aws:SourceVpc",
        { NotIpAddressIfExists: { "aws:SourceIp": "203.0.113.0/24" }, StringNotEqualsIfExists: { "aws:SourceVpc": "vpc-1a2b3c4d" } },
      ],
      [
        "NotIpAddress + a principal exception",
        { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" }, ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin" } },
      ],
    ] as const;
    it.each(exempted)("no deny for Deny + %s: some endpoint traffic passes; the warning names who is still denied", (_name, conditions) => {
      for (const manifest of [
        upjetBucketPolicy({ policy: denyUnless(conditions) }),
        ackBucket({ policy: denyUnless(conditions) }),
        communityBucketPolicy({ rawPolicy: denyUnless(conditions) }),
      ]) {
        const findings = check([manifest], {}, rule);
        expect(findings.map((f) => f.action)).toEqual(["warn"]);
        expect(findings[0]!.message).toMatch(
          /still denies endpoint traffic .* e\.g\. s3:GetObject on .* is denied by Statement\[0\] \(Sid DenyOutside\); only requests such as .* escape it/,
        );
      }
    });

    it("an endpoint policy's own endpoint id counts: the exemption for this endpoint means nothing is denied", () => {
      const policy = denyUnless({
        NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" },
        StringNotEquals: { "aws:SourceVpce": "vpce-0a1b2c3d4e5f67890" },
      });
      const endpoint = upjetEndpoint({ policy, awsId: "vpce-0a1b2c3d4e5f67890" });
      expect(check([endpoint], {}, rule)).toEqual([]);
    });

    it("an endpoint's own VPC decides: exempted VPC → nothing; another VPC → all its traffic is denied", () => {
      const policy = denyUnless({
        NotIpAddressIfExists: { "aws:SourceIp": "203.0.113.0/24" },
        StringNotEqualsIfExists: { "aws:SourceVpc": "vpc-1a2b3c4d" },
      });
      expect(check([upjetEndpoint({ policy, vpcId: "vpc-1a2b3c4d" })], {}, rule)).toEqual([]);
      expect(check([upjetEndpoint({ policy, vpcId: "vpc-99998888" })], {}, rule).map((f) => f.action)).toEqual(["deny"]);
    });

    it("an Allow with IpAddress grants nothing, whatever its NotIpAddress says (d, not e)", () => {
      const policy = {
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::b/*",
            Condition: { IpAddress: { "aws:SourceIp": "198.51.100.0/24" }, NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
          },
        ],
      };
      const findings = check([upjetBucketPolicy({ policy })], {}, rule);
      expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/grants nothing/)]);
    });

    it("an Allow + NotIpAddress limited to an organization does not grant everything (e needs every request)", () => {
      const policy = {
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::b/*",
            Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" }, StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
          },
        ],
      };
      expect(check([upjetBucketPolicy({ policy })], {}, rule)).toEqual([]);
    });
  });

  it("names the community structured policy's own fields, not the rendered JSON", () => {
    const structured = {
      version: "2012-10-17",
      statements: [
        {
          effect: "Deny",
          principal: { allowAnon: true },
          action: ["s3:*"],
          resource: ["arn:aws:s3:::my-secure-bucket/*"],
          condition: [
            { operatorKey: "Bool", conditions: [{ key: "aws:SecureTransport", booleanValue: false }] },
            { operatorKey: "NotIpAddress", conditions: [{ key: "aws:SourceIp", listValue: ["203.0.113.0/24", "198.51.100.0/24"] }] },
          ],
        },
      ],
    };
    const findings = check([communityBucket({ policy: structured })], {}, rule);
    expect(findings.map((f) => f.path)).toEqual(["spec.forProvider.policy.statements[0].condition[1].conditions[0]"]);
    expect(findings[0]!.message).toContain("spec.forProvider.policy.statements[0].condition[1].conditions[0]");
  });

  it("points at the offending range when the condition lists several", () => {
    const findings = check([upjetBucketPolicy({ policy: withIp("Allow", "IpAddress", ["198.51.100.0/24", "10.0.0.0/16"]) })], {}, rule);
    expect(findings.find((f) => f.message.includes("private range"))?.path).toBe(
      'spec.forProvider.policy → Statement[0].Condition.IpAddress["aws:SourceIp"][1]',
    );
  });
});

describe("source-ip-condition: answers remembered across reviews", () => {
  // One policy text (one parsed statement, the parse cache's) on two endpoints: the Deny holds
  // only for requests through vpce-0aaa…, so it denies all of that endpoint's traffic and none of the other's.
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" }, StringEquals: { "aws:SourceVpce": "vpce-0aaaaaaaaaaaaaaaa" } },
      },
    ],
  };
  const review = (awsId: string) => check([upjetEndpoint({ name: awsId, awsId, policy })], {}, rule);

  it("gives each endpoint its own answer, in either order, and the same findings when asked again", () => {
    const other = review("vpce-0bbbbbbbbbbbbbbbb");
    const own = review("vpce-0aaaaaaaaaaaaaaaa");
    expect(other).toEqual([]);
    expect(own).toHaveLength(1);
    expect(own[0]!.message).toMatch(/matches every request through a VPC endpoint/);
    expect(review("vpce-0aaaaaaaaaaaaaaaa")).toEqual(own);
    expect(review("vpce-0bbbbbbbbbbbbbbbb")).toEqual(other);
  });
});
