import { describe, expect, it } from "vitest";
import { checkObjects } from "../../src/app/check-objects.js";
import { admit, check, config } from "../helpers/check.js";
import { review } from "../../src/core/engine/engine.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { adapt } from "../../src/core/adapters/index.js";
import { ctx as adapterCtx } from "../adapters/helpers.js";
import { OVER_BUDGET_POLICY } from "../../bench/adversarial.mjs";
import {
  GUIDE,
  ackEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  bucketGrant,
  denyUnlessEndpoint,
} from "../helpers/manifests.js";

describe("engine: actions and exemptions", () => {
  it("applies per-rule action overrides", () => {
    const findings = check([upjetEndpoint({ ipAddressType: "ipv6" })], {
      rules: { "ipv4-only": { action: "deny" }, "endpoint-full-access": { action: "off" } },
    });
    expect(findings.map((f) => [f.rule, f.action])).toEqual(expect.arrayContaining([["ipv4-only", "deny"]]));
    expect(findings.some((f) => f.rule === "endpoint-full-access")).toBe(false);
  });

  it("caps a finding at its rule's lower level even when the rule is configured stricter", () => {
    const allowIp = {
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::b/*",
          Condition: { IpAddress: { "aws:SourceIp": "198.51.100.0/24" } },
        },
      ],
    };
    const f = check([upjetBucketPolicy({ policy: allowIp })], {}, "source-ip-condition");
    expect(f.map((x) => x.action)).toEqual(["warn"]);
    const audit = check(
      [upjetBucketPolicy({ policy: allowIp })],
      { rules: { "source-ip-condition": { action: "audit" } } },
      "source-ip-condition",
    );
    expect(audit.map((x) => x.action)).toEqual(["audit"]);
  });

  it("exempts by namespace, by label selector, and for listed rules only", () => {
    const e = ackEndpoint({ namespace: "sandbox", labels: { team: "platform" }, ipAddressType: "ipv6" });
    expect(check([e], { exemptions: [{ namespaces: ["sandbox"] }] })).toEqual([]);
    expect(check([e], { exemptions: [{ selector: { matchLabels: { team: "platform" } } }] })).toEqual([]);
    const partly = check([e], { exemptions: [{ namespaces: ["sandbox"], rules: ["ipv4-only"] }] });
    expect(partly.some((f) => f.rule === "ipv4-only")).toBe(false);
    expect(partly.some((f) => f.rule === "endpoint-full-access")).toBe(true);
    expect(check([e], { exemptions: [{ namespaces: ["other"] }] }).length).toBeGreaterThan(0);
  });

  it("honours the exempt annotation only when allowResourceExemptions is on", () => {
    const e = upjetEndpoint({ annotations: { "s3-vpce-guard.io/exempt": "endpoint-full-access, gateway-without-route-tables" } });
    expect(
      check([e])
        .map((f) => f.rule)
        .sort(),
    ).toEqual(["endpoint-full-access", "gateway-without-route-tables"]);
    expect(check([e], { allowResourceExemptions: true })).toEqual([]);
  });

  it("reviews DELETE only for the disruption it causes", () => {
    const e = upjetEndpoint({ policy: "{", ipAddressType: "ipv6" });
    expect(admit({ object: e, operation: "DELETE", cluster: [e] }).map((f) => f.rule)).toEqual(["endpoint-change-disruption"]);
  });

  it("leaves the inventory as it was after an admission review", () => {
    // The object under review replaces the stored one only while rules run.
    const stored = upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890", policy: bucketGrant("my-secure-bucket") });
    const changed = upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890", policy: bucketGrant("other") });
    const cluster = [
      stored,
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0a1b2c3d4e5f67890") }),
    ];
    const onUpdate = admit({ object: changed, oldObject: stored, operation: "UPDATE", cluster }, "effective-access");
    expect(onUpdate).toEqual([]);
    const bucketSide = admit({ object: cluster[2]!, operation: "UPDATE", oldObject: cluster[2]!, cluster }, "effective-access");
    expect(bucketSide).toEqual([]);
  });

  it("gives every finding a message naming the resource, a fix, a guide section and a path", () => {
    const findings = check([
      upjetEndpoint({ region: "eu-west-1", serviceName: "com.amazonaws.us-east-1.s3", ipAddressType: "ipv6", policy: GUIDE.bucketOnly }),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "arn:aws:ec2:us-east-1:1:vpc-endpoint/vpce-1") }),
    ]);
    expect(findings.length).toBeGreaterThan(3);
    for (const f of findings) {
      expect(f.message).toMatch(/^(VPCEndpoint|BucketPolicy) /);
      expect(f.fix.length).toBeGreaterThan(10);
      expect(f.guide.length).toBeGreaterThan(5);
      expect(f.path).toMatch(/^(spec|metadata)/);
    }
  });
});

describe("check: fields of the wrong shape", () => {
  it("reports them as input errors with file, line and path, and still checks the object", () => {
    const endpoint = upjetEndpoint();
    (endpoint.spec as { forProvider: Record<string, unknown> }).forProvider.vpcEndpointType = ["Gateway"];
    const report = checkObjects([{ object: endpoint, file: "net.yaml", line: 7 }], { config: config() });
    expect(report.errors).toEqual([
      expect.objectContaining({
        file: "net.yaml",
        line: 7,
        message: expect.stringMatching(/^spec\.forProvider\.vpcEndpointType: .*must be a string/),
      }),
    ]);
    expect(report.summary.resources).toBe(1);
  });
});

describe("engine: questions over their work budget", () => {
  it("a rule's undecided question reaches onUndecided (the front doors count it) and claims nothing", () => {
    // Every question about this policy is over its work budget (bench/adversarial.mjs says why).
    const policy = OVER_BUDGET_POLICY;
    const adapted = adapt(upjetEndpoint({ policy }) as unknown as Record<string, unknown>, adapterCtx);
    if (adapted.status !== "adapted") throw new Error("not adapted");
    const undecided: string[] = [];
    const findings = review(
      { subject: adapted.object, mode: "cli", inventoryComplete: true },
      { config: config(), inventory: new Inventory(), onUndecided: (rule) => undecided.push(rule) },
    );
    expect(undecided).toContain("endpoint-full-access");
    expect(findings.some((f) => f.rule === "endpoint-full-access")).toBe(false);
  });
});
