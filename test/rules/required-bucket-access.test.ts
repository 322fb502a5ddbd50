import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { GUIDE, bucketGrant, upjetEndpoint } from "../helpers/manifests.js";

const rule = "required-bucket-access" as const;
const consumers = (list: string) => ({ "s3-vpce-guard.io/consumers": list });

describe("required-bucket-access", () => {
  it("passes the guide's Amazon Linux repository policy for amazon-linux", () => {
    const e = upjetEndpoint({ region: "eu-west-1", policy: GUIDE.amazonLinuxRepos, annotations: consumers("amazon-linux") });
    expect(check([e], {}, rule)).toEqual([]);
  });

  it("names the consumer and the missing ARN", () => {
    const e = upjetEndpoint({ region: "eu-west-1", policy: bucketGrant("app"), annotations: consumers("amazon-linux") });
    const findings = check([e], {}, rule);
    expect(findings).toHaveLength(2);
    expect(findings[0]!.message).toContain("amazon-linux");
    expect(findings.map((f) => f.message).join("\n")).toContain("arn:aws:s3:::packages.eu-west-1.amazonaws.com/*");
  });

  it("requires the ECR layer bucket and the CloudFormation response buckets (region without dashes)", () => {
    const e = upjetEndpoint({ region: "us-west-2", policy: bucketGrant("app"), annotations: consumers("ecr,cloudformation") });
    const text = check([e], {}, rule)
      .map((f) => f.message)
      .join("\n");
    expect(text).toContain("prod-us-west-2-starport-layer-bucket/*");
    expect(text).toContain("cloudformation-custom-resource-response-uswest2/*");
    expect(text).toContain("cloudformation-waitcondition-us-west-2/*");
  });

  it("requires full access for WorkSpaces, and accepts s3:* on *", () => {
    const restricted = upjetEndpoint({ policy: bucketGrant("app"), annotations: consumers("workspaces") });
    expect(check([restricted], {}, rule)).toHaveLength(1);
    const full = { Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] };
    expect(check([upjetEndpoint({ policy: full, annotations: consumers("workspaces") })], {}, rule)).toEqual([]);
  });

  it("accepts CodeDeploy's declared deployment buckets instead of full access", () => {
    const cfg = {
      consumers: [{ vpcIds: ["vpc-0a1b2c3d4e5f67890"], services: ["codedeploy"], buckets: ["arn:aws:s3:::deploy-artifacts/*"] }],
    };
    expect(check([upjetEndpoint({ policy: bucketGrant("deploy-artifacts") })], cfg, rule)).toEqual([]);
    const missing = check([upjetEndpoint({ policy: bucketGrant("app") })], cfg, rule);
    expect(missing).toHaveLength(1);
    expect(missing[0]!.message).toContain("deploy-artifacts");
  });

  it("says nothing without a policy (the default allows everything) or without consumers", () => {
    expect(check([upjetEndpoint({ annotations: consumers("ssm,ecr") })], {}, rule)).toEqual([]);
    expect(check([upjetEndpoint({ policy: bucketGrant("app") })], {}, rule)).toEqual([]);
  });

  it("reports unknown consumer names", () => {
    const findings = check([upjetEndpoint({ policy: bucketGrant("app"), annotations: consumers("cloudfromation") })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("cloudfromation");
  });

  it("adds config's extra bucket globs for a consumer", () => {
    const cfg = { consumerBuckets: { opsworks: ["arn:aws:s3:::opsworks-logs-{region}/*"] } };
    const policy = {
      Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: ["arn:aws:s3:::opsworks-instance-*-us-east-1/*"] }],
    };
    const findings = check([upjetEndpoint({ policy, annotations: consumers("opsworks") })], cfg, rule);
    expect(findings.map((f) => f.message).join()).toContain("opsworks-logs-us-east-1/*");
    expect(findings).toHaveLength(1);
  });
});
