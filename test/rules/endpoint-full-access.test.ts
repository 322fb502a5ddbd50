import { describe, expect, it } from "vitest";
import { check, checkOneRuleSpending } from "../helpers/check.js";
import { GUIDE, ackEndpoint, bucketGrant, communityEndpoint, upjetEndpoint } from "../helpers/manifests.js";

const rule = "endpoint-full-access" as const;
const fullAccess = { Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] };

describe("endpoint-full-access", () => {
  it.each([
    ["upjet v1beta2", upjetEndpoint({}), "spec.forProvider.policy"],
    ["upjet namespaced", upjetEndpoint({}, "namespaced"), "spec.forProvider.policy"],
    ["community", communityEndpoint({}), "spec.forProvider.policyDocument"],
    ["ack", ackEndpoint({}), "spec.policyDocument"],
  ])("warns on an S3 endpoint without a policy (%s)", (_family, endpoint, path) => {
    const findings = check([endpoint], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.path).toBe(path);
    expect(findings[0]!.message).toMatch(/default policy/);
  });

  it("treats the community provider's empty policyDocument as the default policy", () => {
    expect(check([communityEndpoint({ policy: "" })], {}, rule)).toHaveLength(1);
  });

  it("warns on an explicit allow-everything statement", () => {
    const findings = check([upjetEndpoint({ policy: fullAccess })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.path).toBe("spec.forProvider.policy → Statement[0]");
  });

  it("accepts s3:* on arn:aws:s3:::* only when a condition narrows it", () => {
    const narrowed = {
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::*",
          Condition: { StringEquals: { "aws:PrincipalAccount": "111122223333" } },
        },
      ],
    };
    const open = { Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:*", Resource: "arn:aws:s3:::*" }] };
    expect(check([upjetEndpoint({ policy: narrowed })], {}, rule)).toEqual([]);
    expect(check([upjetEndpoint({ policy: open })], {}, rule)).toHaveLength(1);
  });

  it("passes the guide's restricted policies", () => {
    expect(check([upjetEndpoint({ policy: GUIDE.bucketOnly })], {}, rule)).toEqual([]);
    expect(check([upjetEndpoint({ policy: GUIDE.amazonLinuxRepos })], {}, rule)).toEqual([]);
    expect(check([ackEndpoint({ policy: bucketGrant("b") })], {}, rule)).toEqual([]);
  });

  it("is only audit when the endpoint serves a consumer that needs full access", () => {
    const e = upjetEndpoint({ annotations: { "s3-vpce-guard.io/consumers": "workspaces" } });
    const findings = check([e], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("audit");
    const byVpc = check(
      [upjetEndpoint({ vpcId: "vpc-0123456789abcdef0" })],
      { consumers: [{ vpcIds: ["vpc-0123456789abcdef0"], services: ["workdocs"] }] },
      rule,
    );
    expect(byVpc[0]!.action).toBe("audit");
  });

  it("ignores non-S3 endpoints and can be made deny", () => {
    expect(check([upjetEndpoint({ serviceName: "com.amazonaws.us-east-1.ssm", type: "Interface" })], {}, rule)).toEqual([]);
    expect(check([upjetEndpoint({})], { rules: { [rule]: { action: "deny" } } }, rule)[0]!.action).toBe("deny");
  });

  describe("full access whatever the spelling", () => {
    const spellings = [
      [
        "arn:*:s3:::*",
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "arn:*:s3:::*" }] },
      ],
      [
        "NotAction of another service",
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", NotAction: "ec2:*", Resource: "*" }] },
      ],
      [
        "s3:Get* + s3:Put* + s3:List*",
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: "*", Action: ["s3:Get*", "s3:Put*", "s3:List*"], Resource: "*" }],
        },
      ],
      [
        "a single Statement object, Version 2008-10-17",
        { Version: "2008-10-17", Statement: { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:*", Resource: "*" } },
      ],
      [
        "two statements that together read and write",
        {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
            { Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::*/*" },
          ],
        },
      ],
      [
        "a condition every stranger meets",
        {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Null: { "aws:SourceVpce": "false" } } },
          ],
        },
      ],
    ] as const;
    it.each(spellings)("warns on %s (every family)", (_name, policy) => {
      for (const endpoint of [upjetEndpoint({ policy }), ackEndpoint({ policy }), communityEndpoint({ policy: JSON.stringify(policy) })]) {
        const findings = check([endpoint], {}, rule);
        expect(findings).toHaveLength(1);
        expect(findings[0]!.message).toMatch(
          /any principal of any account read and write every bucket.*e\.g\. s3:GetObject on arn:aws:s3:::\S+ by .* is allowed/,
        );
      }
    });

    const restricted = [
      ["read-only", { Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:Get*", Resource: "*" }] }],
      ["one account's principals", { Statement: [{ Effect: "Allow", Principal: { AWS: "111122223333" }, Action: "s3:*", Resource: "*" }] }],
      [
        "an organization condition",
        {
          Statement: [
            {
              Effect: "Allow",
              Principal: "*",
              Action: "s3:*",
              Resource: "*",
              Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
            },
          ],
        },
      ],
      [
        "a Deny that exempts only the own account",
        {
          Statement: [
            { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" },
            {
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: "*",
              Condition: { StringNotEquals: { "aws:ResourceAccount": "111122223333" } },
            },
          ],
        },
      ],
      ["only Deny statements", { Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" }] }],
    ] as const;
    it.each(restricted)("passes %s", (_name, policy) => {
      expect(check([upjetEndpoint({ policy }), ackEndpoint({ name: "x", policy })], {}, rule)).toEqual([]);
    });
  });

  it("checks an endpoint that has only metadata.generateName, naming it <generateName>*", () => {
    for (const endpoint of [upjetEndpoint({}), ackEndpoint({}), communityEndpoint({})]) {
      const metadata = endpoint.metadata as Record<string, unknown>;
      delete metadata.name;
      metadata.generateName = "s3-gw-";
      const findings = check([endpoint], {}, rule);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.message).toMatch(/^VPCEndpoint (team-a\/)?s3-gw-\*: no endpoint policy/);
    }
  });
});

describe("endpoint-full-access: answers remembered across reviews", () => {
  // One policy text under two partitions: arn:aws:s3:::* grants every bucket in aws, none in aws-cn.
  const policy = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::*" }],
  };
  const review = (region: string) => check([upjetEndpoint({ name: `gw-${region}`, region, policy })], {}, "endpoint-full-access");

  it("gives each partition its own answer, in either order, and the same findings when asked again", () => {
    const china = review("cn-north-1");
    const first = review("us-east-1");
    expect(china).toEqual([]);
    expect(first).toHaveLength(1);
    expect(first[0]!.message).toMatch(/lets any principal of any account read and write every bucket/);
    expect(review("us-east-1")).toEqual(first);
    expect(review("cn-north-1")).toEqual(china);
  });

  it("asks a question settled by its first refused request once: a repeat review works as little as one that asks none", () => {
    // Not full access: the search stops at the first refused request, short of a verdict for
    // "allowed". Asking again would find the same request, so the answer is kept too.
    const restricted = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::settled-once/*" }],
    };
    const reviewSpending = (policy?: Record<string, unknown>) =>
      checkOneRuleSpending([upjetEndpoint({ name: "gw-settled", region: "us-east-1", policy })], "endpoint-full-access");
    const first = reviewSpending(restricted);
    const repeat = reviewSpending(restricted);
    // Without a policy the rule makes its finding without asking anything.
    const asksNothing = reviewSpending(undefined);
    expect(first.value).toEqual([]);
    expect(repeat.value).toEqual([]);
    expect(asksNothing.value).toHaveLength(1);
    expect(first.spent).toBeGreaterThan(asksNothing.spent);
    expect(repeat.spent).toBeLessThanOrEqual(asksNothing.spent);
  });
});
