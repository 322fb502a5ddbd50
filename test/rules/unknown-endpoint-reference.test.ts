import { describe, expect, it } from "vitest";
import { checkObjects } from "../../src/app/check-objects.js";
import type { ExternalFacts } from "../../src/core/inventory/aws-facts.js";
import { MAX_FINDINGS_PER_RULE } from "../../src/core/engine/limits.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { admit, check, config } from "../helpers/check.js";
import { ackBucket, communityBucketPolicy, denyUnlessEndpoint, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "unknown-endpoint-reference" as const;

describe("unknown-endpoint-reference", () => {
  it("warns that Deny + StringNotEquals on an unknown endpoint locks the bucket", () => {
    const findings = check([upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.message).toMatch(
      /Every request to bucket my-secure-bucket is denied until such an endpoint exists|the bucket is locked/,
    );
    expect(findings[0]!.message).toMatch(/the bucket is locked/);
  });

  it("a guard and 40 grants on the unknown endpoint: every id reported, locked, within the work limit", () => {
    // The common shape (one Deny-unless-endpoint, a grant per team through the same endpoint):
    // the whole-policy question is asked once, over the Deny statements, not once per id over
    // the grants' principals × prefixes (which ran out of the review's work limit).
    const policy = denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") as { Statement: object[] };
    for (let j = 0; j < 40; j++)
      policy.Statement.push({
        Sid: `ReadPrefix${j}`,
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::123456789012:role/reader-${j}` },
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `arn:aws:s3:::my-secure-bucket/team-${j}/*`,
        Condition: { StringEquals: { "aws:SourceVpce": "vpce-0a1b2c3d4e5f67890" } },
      });
    const findings = check([upjetBucketPolicy({ policy })]);
    expect(findings.filter((f) => f.message.includes("not checked"))).toEqual([]);
    const reported = findings.filter((f) => f.rule === rule);
    // The engine lists the first MAX_FINDINGS_PER_RULE and counts the rest in one more.
    expect(reported).toHaveLength(MAX_FINDINGS_PER_RULE + 1);
    expect(reported.at(-1)!.message).toContain(`and ${41 - MAX_FINDINGS_PER_RULE} more ${rule} findings`);
    for (const finding of reported.slice(0, -1))
      expect(finding.message).toMatch(/until such an endpoint exists \(e\.g\. .*\): the bucket is locked\.$/);
  });

  it("asks the inventory in every review, for the same policy too", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890");
    const endpoint = upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" });
    for (let round = 0; round < 2; round++) {
      expect(check([upjetBucketPolicy({ policy })], {}, rule)).toHaveLength(1);
      expect(check([endpoint, upjetBucketPolicy({ policy })], {}, rule)).toEqual([]);
    }
  });

  it("reports every place a missing id is named, also when a known id comes first and the missing one only later", () => {
    const known = "vpce-0a1b2c3d4e5f67890";
    const missing = "vpce-0fedcba9876543210";
    const guard = denyUnlessEndpoint("my-secure-bucket", known);
    const grants = [0, 1].map((j) => ({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::my-secure-bucket/team-${j}/*`,
      Condition: { StringEquals: { "aws:SourceVpce": [known, missing] } },
    }));
    const policy = { ...guard, Statement: [...(guard.Statement as unknown[]), ...grants] };
    const findings = check([upjetEndpoint({ awsId: known }), upjetBucketPolicy({ policy })], {}, rule);
    expect(findings.map((f) => f.path)).toEqual([
      'spec.forProvider.policy → Statement[1].Condition.StringEquals["aws:SourceVpce"][1]',
      'spec.forProvider.policy → Statement[2].Condition.StringEquals["aws:SourceVpce"][1]',
    ]);
    for (const finding of findings) expect(finding.message).toContain(`requires endpoint ${missing}`);
  });

  it("knows endpoints by status id and by external-name", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890");
    expect(check([upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" }), upjetBucketPolicy({ policy })], {}, rule)).toEqual([]);
    expect(
      check(
        [
          upjetEndpoint({ annotations: { "crossplane.io/external-name": "vpce-0a1b2c3d4e5f67890" } }),
          communityBucketPolicy({ rawPolicy: policy }),
        ],
        {},
        rule,
      ),
    ).toEqual([]);
  });

  it("knows VPCs through the endpoints in them", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", "vpc-111bbb22", "aws:SourceVpc");
    expect(check([ackBucket({ policy })], {}, rule)).toHaveLength(1);
    expect(check([upjetEndpoint({ vpcId: "vpc-111bbb22" }), ackBucket({ policy })], {}, rule)).toEqual([]);
  });

  it("reports nothing in admission before the inventory is complete", () => {
    const bp = upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") });
    expect(admit({ object: bp, operation: "CREATE", inventoryComplete: false }, rule)).toEqual([]);
    expect(admit({ object: bp, operation: "CREATE", inventoryComplete: true }, rule)).toHaveLength(1);
  });

  it("leaves malformed ids to vpce-condition-value", () => {
    expect(
      check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "arn:aws:ec2:us-east-1:1:vpc-endpoint/vpce-1a2b3c4d") })], {}, rule),
    ).toEqual([]);
  });

  it("with AWS facts: an id AWS has is known, an id not yet looked up is not reported, a confirmed absence is", () => {
    const bp = upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") });
    const run = (facts: ExternalFacts) => {
      const inventory = new Inventory();
      inventory.facts = facts;
      return checkObjects([{ object: structuredClone(bp), file: "t.yaml", line: 1 }], { config: config(), inventory }).findings.filter(
        (f) => f.rule === rule,
      );
    };
    const base = { vpc: () => undefined, vpcs: () => [] };
    expect(run({ ...base, endpoint: (id) => ({ id, region: "us-east-1" }) })).toEqual([]);
    expect(run({ ...base, endpoint: () => undefined, endpointAbsent: () => false })).toEqual([]);
    const absent = run({ ...base, endpoint: () => undefined, endpointAbsent: () => true });
    expect(absent).toHaveLength(1);
    expect(absent[0]!.message).toContain("nor in AWS");
  });

  describe("says 'locked' only when every request to the bucket is denied", () => {
    const deny = (extra: Record<string, unknown>, condition: Record<string, unknown> = {}) => ({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyElsewhere",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
          ...extra,
          Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-0a1b2c3d4e5f67890" }, ...condition },
        },
      ],
    });
    const partial = [
      ["names one role", { Principal: { AWS: "arn:aws:iam::111122223333:role/App" } }, {}],
      ["exempts principals by tag", {}, { StringNotEqualsIfExists: { "aws:PrincipalTag/team": "platform" } }],
      ["exempts AWS services", {}, { Bool: { "aws:ViaAWSService": "false" } }],
      ["covers only s3:GetObject", { Action: "s3:GetObject" }, {}],
      ["covers one prefix", { Resource: "arn:aws:s3:::my-secure-bucket/reports/*" }, {}],
      ["covers only the bucket ARN", { Resource: "arn:aws:s3:::my-secure-bucket" }, {}],
    ] as const;
    it.each(partial)("a Deny that %s is not a lock: the finding names what is denied", (_name, extra, condition) => {
      const policy = deny(extra, condition);
      for (const manifest of [
        upjetBucketPolicy({ policy }),
        ackBucket({ bucketName: "my-secure-bucket", policy }),
        communityBucketPolicy({ bucketName: "my-secure-bucket", rawPolicy: policy }),
      ]) {
        const findings = check([manifest], {}, rule);
        expect(findings).toHaveLength(1);
        expect(findings[0]!.message).not.toMatch(/locked/);
        expect(findings[0]!.message).toMatch(
          /Until such an endpoint exists, s3:\w+ on arn:aws:s3:::my-secure-bucket\S* by .* is denied by Statement\[0\] \(Sid DenyElsewhere\)/,
        );
      }
    });

    it("an Allow list naming an unknown endpoint claims nothing beyond the missing id", () => {
      const policy = {
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::my-secure-bucket/*",
            Condition: { StringEquals: { "aws:SourceVpce": "vpce-0a1b2c3d4e5f67890" } },
          },
        ],
      };
      const findings = check([upjetBucketPolicy({ policy })], {}, rule);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.message).not.toMatch(/locked|denied/);
    });

    it("names a VPC as 'a VPC'", () => {
      const findings = check(
        [ackBucket({ bucketName: "my-secure-bucket", policy: denyUnlessEndpoint("my-secure-bucket", "vpc-111bbb22", "aws:SourceVpc") })],
        {},
        rule,
      );
      expect(findings[0]!.message).toMatch(/until such a VPC exists/);
      expect(findings[0]!.message).not.toMatch(/such an VPC/);
    });
  });
});
