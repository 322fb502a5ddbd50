import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { GUIDE, ackBucket, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "object-arn-coverage" as const;
const grant = (actions: string[], resources: string[]) => ({
  Statement: [{ Effect: "Allow", Principal: "*", Action: actions, Resource: resources }],
});

describe("object-arn-coverage", () => {
  it("warns when object actions are granted only on the bucket ARN", () => {
    const findings = check([upjetEndpoint({ policy: grant(["s3:GetObject"], ["arn:aws:s3:::my-bucket"]) })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.message).toContain("s3:GetObject");
    expect(findings[0]!.fix).toContain("/*");
  });

  it("reads a policy once but words each review for its own object", () => {
    const policy = grant(["s3:GetObject"], ["arn:aws:s3:::my-bucket"]);
    for (const name of ["first", "second", "first"]) {
      const findings = check([upjetEndpoint({ name, policy })], {}, rule);
      expect(findings.map((f) => f.resource.name)).toEqual([name]);
      expect(findings[0]!.message).toContain("s3:GetObject");
    }
    expect(check([upjetEndpoint({ policy: grant(["s3:GetObject"], ["arn:aws:s3:::my-bucket/*"]) })], {}, rule)).toEqual([]);
  });

  it("warns when bucket actions are granted only on object ARNs", () => {
    const findings = check([ackBucket({ policy: grant(["s3:ListBucket"], ["arn:aws:s3:::my-bucket/*"]) })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("s3:ListBucket");
  });

  it("passes the guide's examples and wildcard grants", () => {
    const objects = [
      upjetEndpoint({ name: "a", policy: GUIDE.bucketOnly }),
      upjetEndpoint({ name: "b", policy: GUIDE.amazonLinuxRepos }),
      upjetEndpoint({ name: "c", policy: grant(["s3:Get*"], ["arn:aws:s3:::my-bucket"]) }),
      upjetEndpoint({ name: "d", policy: grant(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::my-bucket*"]) }),
      upjetBucketPolicy({ policy: GUIDE.specificEndpoint }),
    ];
    expect(check(objects, {}, rule)).toEqual([]);
  });

  it("reads only S3 ARNs: other partitions count, other services and broken ARNs do not", () => {
    const findings = (resources: string[], actions = ["s3:GetObject", "s3:ListBucket"]) =>
      check([upjetEndpoint({ policy: grant(actions, resources) })], {}, rule).map((f) => f.message);
    // Both kinds of action on a bucket ARN of another partition: the object actions are dead.
    expect(findings(["arn:aws-cn:s3:::my-bucket"])).toEqual([expect.stringContaining("object actions s3:GetObject")]);
    expect(findings(["arn:aws-us-gov:s3:::my-bucket/*"])).toEqual([expect.stringContaining("bucket actions s3:ListBucket")]);
    // "*" names buckets and objects alike.
    expect(findings(["*"])).toEqual([]);
    // Not S3 ARNs: nothing to say about S3 coverage.
    expect(findings(["arn:aws:iam::123456789012:role/x", "arn:aws:s3:us-east-1:123456789012:accesspoint/ap"])).toEqual([]);
    expect(findings(["arn:aws:s3:::my-bucket\n/*"])).toEqual([]);
    // A non-S3 ARN beside a bucket ARN does not make the object actions live.
    expect(findings(["arn:aws:iam::123456789012:role/x", "arn:aws:s3:::my-bucket"])).toEqual([expect.stringContaining("object actions")]);
    // Wildcard actions are skipped; exact ones are reported once per statement.
    expect(findings(["arn:aws:s3:::my-bucket"], ["s3:Get*", "s3:PutObject", "s3:GetObject"])).toEqual([
      expect.stringContaining("object actions s3:PutObject, s3:GetObject"),
    ]);
  });
});
