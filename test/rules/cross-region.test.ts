import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  communityBucket,
  communityBucketPolicy,
  communityEndpoint,
  denyUnlessEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
} from "../helpers/manifests.js";

const rule = "cross-region" as const;

describe("cross-region (a): service name region", () => {
  it.each([
    ["upjet", upjetEndpoint({ region: "eu-west-1", serviceName: "com.amazonaws.us-east-1.s3" })],
    ["upjet namespaced", upjetEndpoint({ region: "eu-west-1", serviceName: "com.amazonaws.us-east-1.s3" }, "namespaced")],
    ["community", communityEndpoint({ region: "eu-west-1", serviceName: "com.amazonaws.us-east-1.s3" })],
    ["ack", ackEndpoint({ region: "eu-west-1", serviceName: "com.amazonaws.us-east-1.s3" })],
  ])("denies an endpoint in another region than its service (%s)", (_f, endpoint) => {
    const findings = check([endpoint], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("deny");
    expect(findings[0]!.message).toContain("us-east-1");
    expect(findings[0]!.message).toContain("eu-west-1");
  });

  it("passes same-region endpoints, other partitions included", () => {
    expect(check([upjetEndpoint({ region: "cn-north-1", serviceName: "cn.com.amazonaws.cn-north-1.s3" })], {}, rule)).toEqual([]);
  });

  it("accepts a deliberate cross-region Interface endpoint only at awsFeatureLevel current", () => {
    const e = upjetEndpoint({
      region: "eu-west-1",
      type: "Interface",
      serviceName: "com.amazonaws.us-east-1.s3",
      serviceRegion: "us-east-1",
    });
    expect(check([e], {}, rule)).toHaveLength(1);
    expect(check([e], { awsFeatureLevel: "current" }, rule)).toEqual([]);
    const gateway = upjetEndpoint({ region: "eu-west-1", serviceName: "com.amazonaws.us-east-1.s3", serviceRegion: "us-east-1" });
    expect(check([gateway], { awsFeatureLevel: "current" }, rule)).toHaveLength(1);
  });
});

describe("cross-region (b): bucket policy requiring an endpoint or VPC of another region", () => {
  it("denies a BucketPolicy that requires an endpoint in another region", () => {
    const objects = [
      upjetEndpoint({ region: "eu-west-1", awsId: "vpce-0a1b2c3d4e5f67890", policy: bucketGrant("my-secure-bucket") }),
      upjetBucket({ region: "us-east-1" }),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") }),
    ];
    const findings = check(objects, {}, rule).filter((f) => f.resource.kind === "BucketPolicy");
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/eu-west-1.*us-east-1/);
  });

  it("denies a VPC restriction to a VPC whose endpoints are in another region", () => {
    const objects = [
      ackEndpoint({ region: "eu-west-1", vpcId: "vpc-111bbb22", awsId: "vpce-1a2b3c4d" }),
      ackBucket({ region: "us-west-2", policy: denyUnlessEndpoint("my-secure-bucket", "vpc-111bbb22", "aws:SourceVpc") }),
    ];
    expect(check(objects, {}, rule)).toHaveLength(1);
  });

  it("normalises US / EU location constraints before comparing", () => {
    const objects = [
      communityEndpoint({ region: "eu-west-1", awsId: "vpce-1a2b3c4d", policy: bucketGrant("my-secure-bucket") }),
      communityBucket({ locationConstraint: "EU" }),
      communityBucketPolicy({ rawPolicy: denyUnlessEndpoint("my-secure-bucket", "vpce-1a2b3c4d") }),
    ];
    expect(check(objects, {}, rule)).toEqual([]);
  });

  it("says nothing about endpoints it does not know", () => {
    const objects = [upjetBucket({}), upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") })];
    expect(check(objects, {}, rule)).toEqual([]);
  });
});

describe("cross-region (b): what the policy admits, not how it is spelled", () => {
  const EU = "vpce-0a1b2c3d4e5f67890";
  const US = "vpce-1a2b3c4d";
  const endpoints = () => [
    upjetEndpoint({ name: "eu", region: "eu-west-1", awsId: EU }),
    upjetEndpoint({ name: "us", region: "us-east-1", awsId: US }),
  ];

  it("a Deny + StringEquals aws:SourceVpce is a block list, not a restriction: nothing to report", () => {
    const blockList = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
          Condition: { StringEquals: { "aws:SourceVpce": EU } },
        },
      ],
    };
    for (const policyObject of [upjetBucketPolicy({ policy: blockList }), communityBucketPolicy({ rawPolicy: blockList })]) {
      expect(
        check([...endpoints(), upjetBucket({ region: "us-east-1" }), policyObject], {}, rule).filter(
          (f) => f.resource.kind === "BucketPolicy",
        ),
      ).toEqual([]);
    }
    expect(
      check([...endpoints(), ackBucket({ region: "us-east-1", policy: blockList })], {}, rule).filter((f) => f.resource.kind === "Bucket"),
    ).toEqual([]);
  });

  it("a multi-region allow-list that also admits a same-region endpoint: the foreign entry is only dead (warn), pointing at the element", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", [EU, US] as unknown as string);
    const findings = check([...endpoints(), upjetBucket({ region: "us-east-1" }), upjetBucketPolicy({ policy })], {}, rule).filter(
      (f) => f.resource.kind === "BucketPolicy",
    );
    expect(findings.map((f) => f.action)).toEqual(["warn"]);
    expect(findings[0]!.message).toMatch(/dead/);
    expect(findings[0]!.path).toMatch(/\["aws:SourceVpce"\]\[0\]$/);
  });

  it("an allow-list of foreign endpoints only: deny, with a request through another endpoint that is denied", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", EU);
    const findings = check([...endpoints(), ackBucket({ region: "us-east-1", policy })], {}, rule).filter(
      (f) => f.resource.kind === "Bucket",
    );
    expect(findings.map((f) => f.action)).toEqual(["deny"]);
    expect(findings[0]!.message).toMatch(
      /every request through any other endpoint is denied \(e\.g\. s3:GetObject on .* is denied by Statement\[0\]/,
    );
  });

  it("an Allow naming a foreign endpoint with no Deny is a dead grant (warn), not a cut-off", () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::my-secure-bucket/*",
          Condition: { StringEquals: { "aws:SourceVpce": EU } },
        },
      ],
    };
    const findings = check([...endpoints(), upjetBucket({ region: "us-east-1" }), upjetBucketPolicy({ policy })], {}, rule).filter(
      (f) => f.resource.kind === "BucketPolicy",
    );
    expect(findings.map((f) => f.action)).toEqual(["warn"]);
  });
});

describe("cross-region (c): endpoint policy naming a bucket of another region", () => {
  it("warns that the bucket is unreachable through the endpoint", () => {
    const objects = [
      upjetEndpoint({ region: "us-east-1", policy: bucketGrant("logs-eu") }),
      upjetBucket({ name: "logs-eu", region: "eu-central-1" }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.resource.kind).toBe("VPCEndpoint");
  });
});
