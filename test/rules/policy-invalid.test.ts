import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import {
  GUIDE,
  ackBucket,
  ackEndpoint,
  communityBucketPolicy,
  communityEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
} from "../helpers/manifests.js";

const rule = "policy-invalid" as const;

describe("policy-invalid", () => {
  it("passes every example policy of the guide", () => {
    const objects = [
      upjetEndpoint({ name: "bucket-only", policy: GUIDE.bucketOnly }),
      upjetEndpoint({ name: "al-repos", policy: GUIDE.amazonLinuxRepos }),
      upjetBucket({ name: "my_secure_bucket" }),
      upjetBucketPolicy({ name: "vpce", bucket: "my_secure_bucket", policy: GUIDE.specificEndpoint }),
      upjetBucketPolicy({ name: "vpc", bucket: "my_secure_bucket", policy: GUIDE.specificVpc }),
    ];
    expect(check(objects, {}, rule)).toEqual([]);
  });

  it("denies an endpoint policy that is not JSON, naming the field", () => {
    const findings = check([upjetEndpoint({ policy: '{"Statement": [' })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("deny");
    expect(findings[0]!.path).toMatch(/^spec\.forProvider\.policy/);
    expect(findings[0]!.message).toContain("VPCEndpoint s3-gateway");
  });

  it("denies an Effect other than Allow/Deny with the statement path", () => {
    const policy = { Statement: [{ Effect: "Permit", Principal: "*", Action: "s3:GetObject", Resource: "*" }] };
    const findings = check([communityEndpoint({ policy })], {}, rule);
    expect(findings.some((f) => f.path === "spec.forProvider.policyDocument → Statement[0].Effect" && f.action === "deny")).toBe(true);
  });

  it("denies a bucket policy without Principal, but accepts an endpoint policy without it", () => {
    const noPrincipal = { Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] };
    expect(check([ackBucket({ policy: noPrincipal })], {}, rule).map((f) => f.action)).toContain("deny");
    expect(check([ackEndpoint({ policy: noPrincipal })], {}, rule)).toEqual([]);
  });

  it("denies malformed S3 ARNs and unknown condition operators", () => {
    const policy = {
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:us-east-1::bucket"],
          Condition: { StringNotEqualz: { "aws:SourceVpce": "vpce-1a2b3c4d" } },
        },
      ],
    };
    const findings = check([upjetBucketPolicy({ policy })], {}, rule);
    expect(findings.filter((f) => f.action === "deny").length).toBeGreaterThanOrEqual(2);
    expect(findings.some((f) => f.path.includes("Resource"))).toBe(true);
    expect(findings.some((f) => f.path.includes("Condition"))).toBe(true);
  });

  it("notes non-S3 actions as warn, not deny", () => {
    const policy = { Statement: [{ Effect: "Allow", Principal: "*", Action: ["s3:GetObject", "ec2:DescribeInstances"], Resource: "*" }] };
    const findings = check([upjetEndpoint({ policy })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.message).toContain("ec2:DescribeInstances");
  });

  it("checks the community BucketPolicy's rawPolicy", () => {
    const findings = check([communityBucketPolicy({ rawPolicy: "not json" })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.path).toMatch(/^spec\.forProvider\.rawPolicy/);
  });

  it("leaves non-S3 endpoints untouched", () => {
    expect(check([upjetEndpoint({ serviceName: "com.amazonaws.us-east-1.dynamodb", policy: "{" })], {}, rule)).toEqual([]);
  });

  it("can be switched off in config", () => {
    expect(check([upjetEndpoint({ policy: "{" })], { rules: { [rule]: { action: "off" } } }, rule)).toEqual([]);
  });

  it("accepts the account-level S3 form arn:aws:s3:REGION:ACCOUNT:* on every family (access points, jobs, Storage Lens)", () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:us-east-1:111122223333:*", "arn:aws:s3:::my-bucket/*"] },
      ],
    };
    const objects = [
      upjetEndpoint({ policy }),
      ackEndpoint({ policy }),
      communityEndpoint({ policy: JSON.stringify(policy) }),
      upjetBucketPolicy({ policy }),
      ackBucket({ policy }),
      communityBucketPolicy({ rawPolicy: policy }),
    ];
    expect(check(objects, {}, "policy-invalid")).toEqual([]);
  });
});
