import { describe, expect, it } from "vitest";
import { checkObjects } from "../../src/engine/check.js";
import type { ExternalFacts } from "../../src/inventory/facts.js";
import { Inventory } from "../../src/inventory/inventory.js";
import { admit, check, config } from "../helpers/check.js";
import { ackBucket, communityBucketPolicy, denyUnlessEndpoint, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const rule = "unknown-endpoint-reference" as const;

describe("unknown-endpoint-reference", () => {
  it("warns that Deny + StringNotEquals on an unknown endpoint locks the bucket", () => {
    const findings = check([upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") })], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.message).toMatch(/locked/);
  });

  it("knows endpoints by status id and by external-name", () => {
    const policy = denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890");
    expect(check([upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" }), upjetBucketPolicy({ policy })], {}, rule)).toEqual([]);
    expect(check([upjetEndpoint({ annotations: { "crossplane.io/external-name": "vpce-0a1b2c3d4e5f67890" } }), communityBucketPolicy({ rawPolicy: policy })], {}, rule)).toEqual([]);
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
    expect(check([upjetBucketPolicy({ policy: denyUnlessEndpoint("b", "arn:aws:ec2:us-east-1:1:vpc-endpoint/vpce-1a2b3c4d") })], {}, rule)).toEqual([]);
  });

  it("with AWS facts: an id AWS has is known, an id not yet looked up is not reported, a confirmed absence is", () => {
    const bp = upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") });
    const run = (facts: ExternalFacts) => {
      const inventory = new Inventory();
      inventory.facts = facts;
      return checkObjects([{ object: structuredClone(bp), file: "t.yaml", line: 1 }], { config: config(), inventory }).findings.filter((f) => f.rule === rule);
    };
    const base = { vpc: () => undefined, vpcs: () => [] };
    expect(run({ ...base, endpoint: (id) => ({ id, region: "us-east-1" }) })).toEqual([]);
    expect(run({ ...base, endpoint: () => undefined, endpointAbsent: () => false })).toEqual([]);
    const absent = run({ ...base, endpoint: () => undefined, endpointAbsent: () => true });
    expect(absent).toHaveLength(1);
    expect(absent[0]!.message).toContain("nor in AWS");
  });
});
