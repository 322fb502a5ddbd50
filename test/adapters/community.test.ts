import { describe, expect, it } from "vitest";
import { structuredPolicyToIam, UNRESOLVED_USER_ARN } from "../../src/core/adapters/community-policy.js";
import { adaptAs, fixtureAs } from "./helpers.js";

describe("community VPCEndpoint v1alpha1", () => {
  it("reads route tables by id, ref and selector, the policy and the ids", () => {
    const { object: e, issues } = fixtureAs("community/vpcendpoint-v1alpha1.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.family).toBe("community");
    expect(e.ref.namespace).toBeNull();
    expect(e.region).toEqual({ value: "eu-central-1", path: "spec.forProvider.region" });
    expect(e.isS3).toBe(true);
    expect(e.serviceNameRegion).toBe("eu-central-1");
    expect(e.vpc).toEqual({ value: "vpc-0f1e2d3c4b5a67890", path: "spec.forProvider.vpcId" });
    expect(e.routeTables).toEqual([
      { value: "rtb-0f1e2d3c4b5a60001", path: "spec.forProvider.routeTableIds[0]" },
      { ref: { name: "billing-private-b" }, path: "spec.forProvider.routeTableIdRefs[0]" },
    ]);
    expect(e.routeTableSelector).toEqual({
      selector: { matchLabels: { tier: "private" } },
      path: "spec.forProvider.routeTableIdSelector",
    });
    expect(e.dnsRecordIpType).toEqual({ value: "ipv4", path: "spec.forProvider.dnsOptions.dnsRecordIPType" });
    expect(e.policy?.path).toBe("spec.forProvider.policyDocument");
    expect(e.policy?.document?.statements[0]?.action).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(e.awsId).toBe("vpce-0f1e2d3c4b5a67890");
    expect(e.observedRouteTableIds).toEqual(["rtb-0f1e2d3c4b5a60001", "rtb-0f1e2d3c4b5a60002"]);
    expect(e.serviceRegion).toBeUndefined();
  });

  it("treats an empty policyDocument as the default full-access policy (no policy)", () => {
    const { object: e, issues } = fixtureAs("community/vpcendpoint-empty-policy.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.policy).toBeUndefined();
    expect(e.vpc).toEqual({ ref: { name: "billing-vpc" }, path: "spec.forProvider.vpcIdRef" });
    expect(e.subnets).toEqual([
      { value: "subnet-0f1e2d3c4b5a60011", path: "spec.forProvider.subnetIds[0]" },
      { ref: { name: "billing-private-b" }, path: "spec.forProvider.subnetIdRefs[0]" },
    ]);
    expect(e.routeTables).toEqual([]);
    expect(e.awsId).toBeUndefined();
  });

  it("takes the vpce id from status when the external-name is not one", () => {
    const { object: e } = adaptAs(
      {
        apiVersion: "ec2.aws.crossplane.io/v1alpha1",
        kind: "VPCEndpoint",
        metadata: { name: "fresh", annotations: { "crossplane.io/external-name": "fresh" } },
        spec: { forProvider: { region: "us-east-1", serviceName: "com.amazonaws.us-east-1.s3" } },
        status: { atProvider: { vpcEndpointID: "vpce-0123456789abcdef0" } },
      },
      "Endpoint",
    );
    expect(e.awsId).toBe("vpce-0123456789abcdef0");
  });
});

describe("community Bucket v1beta1", () => {
  it("converts the structured policy to IAM JSON and notes unresolved principals", () => {
    const { object: b, issues } = fixtureAs("community/bucket-v1beta1.yaml", "Bucket");
    expect(issues).toEqual([]);
    expect(b.name).toEqual({ value: "acme-billing-reports", path: 'metadata.annotations["crossplane.io/external-name"]' });
    expect(b.region).toEqual({ value: "eu-central-1", path: "spec.forProvider.locationConstraint" });
    const policy = b.policy;
    expect(policy?.path).toBe("spec.forProvider.policy");
    expect(policy?.issues.filter((i) => i.severity === "error")).toEqual([]);
    const [deny, allow] = policy?.document?.statements ?? [];
    expect(deny?.effect).toBe("Deny");
    expect(deny?.principal).toBe("*");
    expect(deny?.sid).toBe("DenyOutsideBillingEndpoint");
    expect(deny?.conditions.map((c) => [c.operator, c.key, c.values])).toEqual([
      ["StringNotEquals", "aws:SourceVpce", ["vpce-0f1e2d3c4b5a67890"]],
    ]);
    // The selector principal is left out; the two given principals stay.
    expect(allow?.principal).toEqual({ AWS: ["arn:aws:iam::111122223333:role/billing-report-writer", "111122223333"] });
    expect(allow?.conditions.map((c) => [c.operator, c.key, c.values])).toEqual([
      ["Bool", "aws:SecureTransport", ["true"]],
      ["NumericLessThanEquals", "s3:max-keys", ["100"]],
      ["ForAnyValue:StringEquals", "aws:PrincipalTag/team", ["billing", "finance"]],
    ]);
    expect(policy?.unresolvedReferences).toEqual([
      { path: "Statement[1].Principal.AWS[2]", message: expect.stringContaining("iamUserArnSelector") },
    ]);
    expect(JSON.parse(policy?.text ?? "{}")).toMatchObject({ Version: "2012-10-17", Id: "BillingVpceOnly" });
  });

  it("normalises LocationConstraint EU, US and empty", () => {
    const regions = [0, 1, 2].map((i) => fixtureAs("community/bucket-location-constraints.yaml", "Bucket", i).object);
    expect(regions.map((b) => b.region?.value)).toEqual(["eu-west-1", "us-east-1", "us-east-1"]);
    expect(regions.map((b) => b.name?.value)).toEqual(["acme-legacy-eu", "acme-legacy-us", "acme-us-standard"]);
    expect(regions[2]?.name?.path).toBe("metadata.name");
  });
});

describe("community BucketPolicy v1alpha3", () => {
  it("reads the structured policy and bucketName", () => {
    const { object: p, issues } = fixtureAs("community/bucketpolicy-v1alpha3.yaml", "BucketPolicy");
    expect(issues).toEqual([]);
    expect(p.bucket).toEqual({ value: "acme-billing-archive", path: "spec.forProvider.bucketName" });
    expect(p.region?.value).toBe("eu-central-1");
    expect(p.policy?.path).toBe("spec.forProvider.policy");
    expect(p.policy?.document?.statements[0]?.conditions[0]?.key).toBe("aws:SourceVpc");
  });

  it("lets rawPolicy win over the structured policy", () => {
    const { object: p, issues } = fixtureAs("community/bucketpolicy-raw-and-structured.yaml", "BucketPolicy");
    expect(issues).toEqual([]);
    expect(p.bucket).toEqual({ ref: { name: "billing-exports" }, path: "spec.forProvider.bucketNameRef" });
    expect(p.policy?.path).toBe("spec.forProvider.rawPolicy");
    expect(p.policy?.document?.statements[0]?.effect).toBe("Deny");
  });
});

describe("structuredPolicyToIam", () => {
  it("serialises like the controller: anonymous, services, federated, all value kinds", () => {
    const converted = structuredPolicyToIam({
      version: "2012-10-17",
      statements: [
        {
          effect: "Allow",
          principal: { service: ["cloudtrail.amazonaws.com"], federated: "cognito-identity.amazonaws.com" },
          notAction: ["s3:DeleteBucket"],
          notResource: ["arn:aws:s3:::x"],
          condition: [{ operatorKey: "DateGreaterThan", conditions: [{ key: "aws:CurrentTime", dateValue: "2024-01-01T00:00:00Z" }] }],
        },
        { effect: "Deny", notPrincipal: { allowAnon: true }, action: [], resource: ["*"] },
      ],
    });
    expect(converted.document).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: ["cloudtrail.amazonaws.com"], Federated: "cognito-identity.amazonaws.com" },
          NotAction: ["s3:DeleteBucket"],
          NotResource: ["arn:aws:s3:::x"],
          Condition: { DateGreaterThan: { "aws:CurrentTime": "2024-01-01T00:00:00Z" } },
        },
        // An empty action list is left out, as the controller does.
        { Effect: "Deny", NotPrincipal: "*", Resource: ["*"] },
      ],
    });
    expect(converted.unresolved).toEqual([]);
    expect(converted.problems).toEqual([]);
  });

  it("keeps a principal of only unresolved references specific (placeholder), never everyone", () => {
    const converted = structuredPolicyToIam({
      version: "2012-10-17",
      statements: [
        {
          effect: "Allow",
          principal: { awsPrincipals: [{ iamUserArnRef: { name: "reporter" } }] },
          action: ["s3:GetObject"],
          resource: ["arn:aws:s3:::b/*"],
        },
      ],
    });
    expect(converted.document.Statement).toEqual([
      { Effect: "Allow", Principal: { AWS: [UNRESOLVED_USER_ARN] }, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] },
    ]);
    expect(converted.unresolved).toHaveLength(1);
  });

  it("reports conditions without a value or operator instead of throwing", () => {
    const converted = structuredPolicyToIam({
      version: "2012-10-17",
      statements: [
        {
          effect: "Deny",
          principal: { allowAnon: true },
          action: ["s3:*"],
          resource: ["*"],
          condition: [{ conditions: [] }, { operatorKey: "StringEquals", conditions: [{ key: "aws:SourceVpce" }] }],
        },
      ],
    });
    expect(converted.problems.map((p) => p.path)).toEqual([
      "Statement[0].Condition[0]",
      'Statement[0].Condition.StringEquals["aws:SourceVpce"]',
    ]);
  });
});
