import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { ackBucket, ackEndpoint, bucketGrant, denyUnlessEndpoint, upjetBucket, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "effective-access" as const;
const VPCE = "vpce-0a1b2c3d4e5f67890";

describe("effective-access", () => {
  it("passes when the endpoint grants the bucket that admits only it", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    expect(check(objects, {}, rule)).toEqual([]);
  });

  it("warns when the bucket admits only an endpoint whose policy does not grant it", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE, policy: bucketGrant("some-other-bucket") }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.resource.kind).toBe("BucketPolicy");
    expect(findings[0]!.message).toContain("s3:GetObject, s3:PutObject, s3:ListBucket");
  });

  it("lists only the probe actions that are missing, and honours config probeActions", () => {
    const objects = [
      ackEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket", ["s3:GetObject", "s3:ListBucket"]) }),
      ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("does not allow s3:PutObject on");
    expect(check(objects, { probeActions: ["s3:GetObject"] }, rule)).toEqual([]);
  });

  it("checks every S3 endpoint of an admitted VPC", () => {
    const objects = [
      ackEndpoint({ name: "a", awsId: VPCE, vpcId: "vpc-111bbb22", policy: bucketGrant("elsewhere") }),
      ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", "vpc-111bbb22", "aws:SourceVpc") }),
    ];
    expect(check(objects, {}, rule)).toHaveLength(1);
    const withGoodEndpoint = [...objects, ackEndpoint({ name: "b", awsId: "vpce-1a2b3c4d", vpcId: "vpc-111bbb22", policy: bucketGrant("my-secure-bucket") })];
    expect(check(withGoodEndpoint, {}, rule)).toEqual([]);
  });

  it("warns on an endpoint that grants a bucket whose policy denies that endpoint", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-1a2b3c4d") }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings.filter((f) => f.resource.kind === "VPCEndpoint")).toHaveLength(1);
    expect(findings.find((f) => f.resource.kind === "VPCEndpoint")!.message).toContain("denies");
  });

  it("treats a missing endpoint policy as the default full access", () => {
    const objects = [upjetEndpoint({ awsId: VPCE }), upjetBucket({}), upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) })];
    expect(check(objects, {}, rule)).toEqual([]);
  });
});
