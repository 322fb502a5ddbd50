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
});
