import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { GUIDE, ackBucket, communityBucket, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "source-ip-condition" as const;

const withIp = (effect: string, operator: string, cidr: string | string[]) => ({
  Version: "2012-10-17",
  Statement: [
    { Effect: effect, Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { [operator]: { "aws:SourceIp": cidr } } },
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
    expect(findings[0]!.message).toMatch(/always matches.*denied/);
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
    const policy = { Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::b/*", Condition: { NotIpAddress: { "AWS:SOURCEIP": "2001:db8::/32" } } }] };
    expect(check([upjetBucketPolicy({ policy })], {}, rule)).toHaveLength(1);
  });

  it("passes policies that use aws:SourceVpce / aws:SourceVpc, like the guide's", () => {
    expect(check([upjetBucketPolicy({ policy: GUIDE.specificEndpoint }), upjetBucketPolicy({ name: "p2", policy: GUIDE.specificVpc })], {}, rule)).toEqual([]);
  });
});
