import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adapt, findKind, WATCHED_KINDS } from "../../src/core/adapters/index.js";
import { normaliseS3Region, parseServiceName } from "../../src/core/adapters/common.js";
import { readFileSync } from "node:fs";
import { EXAMPLES, FIXTURES, ctx, parseYaml, yamlFilesUnder } from "./helpers.js";
import { fuzzSettings } from "../helpers/fuzz.js";

describe("registry", () => {
  it('lists every served version of README "Resources understood"', () => {
    const ids = WATCHED_KINDS.map((k) => `${k.group}/${k.version} ${k.kind}`).sort();
    expect(ids).toEqual(
      [
        "ec2.aws.upbound.io/v1beta1 VPCEndpoint",
        "ec2.aws.upbound.io/v1beta2 VPCEndpoint",
        "ec2.aws.upbound.io/v1beta1 VPCEndpointRouteTableAssociation",
        "ec2.aws.upbound.io/v1beta1 VPCEndpointSubnetAssociation",
        "s3.aws.upbound.io/v1beta1 Bucket",
        "s3.aws.upbound.io/v1beta2 Bucket",
        "s3.aws.upbound.io/v1beta1 BucketPolicy",
        "ec2.aws.m.upbound.io/v1beta1 VPCEndpoint",
        "ec2.aws.m.upbound.io/v1beta1 VPCEndpointRouteTableAssociation",
        "ec2.aws.m.upbound.io/v1beta1 VPCEndpointSubnetAssociation",
        "s3.aws.m.upbound.io/v1beta1 Bucket",
        "s3.aws.m.upbound.io/v1beta1 BucketPolicy",
        "ec2.aws.crossplane.io/v1alpha1 VPCEndpoint",
        "s3.aws.crossplane.io/v1beta1 Bucket",
        "s3.aws.crossplane.io/v1alpha3 BucketPolicy",
        "ec2.services.k8s.aws/v1alpha1 VPCEndpoint",
        "s3.services.k8s.aws/v1alpha1 Bucket",
      ].sort(),
    );
  });

  it("finds kinds by apiVersion and kind with scope, plural and model type", () => {
    expect(findKind("ec2.aws.m.upbound.io/v1beta1", "VPCEndpointRouteTableAssociation")).toEqual({
      group: "ec2.aws.m.upbound.io",
      version: "v1beta1",
      kind: "VPCEndpointRouteTableAssociation",
      plural: "vpcendpointroutetableassociations",
      namespaced: true,
      family: "upjet-namespaced",
      modelType: "RouteTableAssociation",
    });
    expect(findKind("s3.aws.upbound.io/v1beta1", "BucketPublicAccessBlock")).toBeUndefined();
    expect(findKind("ec2.aws.upbound.io/v1beta3", "VPCEndpoint")).toBeUndefined();
  });
});

describe("region and service name helpers", () => {
  it("normalises S3 LocationConstraint values", () => {
    expect([undefined, null, "", "US", "us", "EU", "eu-west-1", "ap-south-1"].map(normaliseS3Region)).toEqual([
      "us-east-1",
      "us-east-1",
      "us-east-1",
      "us-east-1",
      "us-east-1",
      "eu-west-1",
      "eu-west-1",
      "ap-south-1",
    ]);
  });

  it("recognises S3 service names in any partition, and nothing else", () => {
    expect(parseServiceName("com.amazonaws.us-east-1.s3")).toEqual({ isS3: true, region: "us-east-1" });
    expect(parseServiceName("cn.com.amazonaws.cn-north-1.s3")).toEqual({ isS3: true, region: "cn-north-1" });
    expect(parseServiceName("com.amazonaws.us-gov-west-1.s3")).toEqual({ isS3: true, region: "us-gov-west-1" });
    expect(parseServiceName("com.amazonaws.eu-west-1.s3-outposts")).toEqual({ isS3: false, region: "eu-west-1" });
    expect(parseServiceName("com.amazonaws.eu-west-1.s3express")).toEqual({ isS3: false, region: "eu-west-1" });
    expect(parseServiceName("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0")).toEqual({ isS3: false });
    expect(parseServiceName(undefined)).toEqual({ isS3: false });
  });
});

describe("adapt on bad input", () => {
  it("ignores what is not a Kubernetes object or not ours", () => {
    expect(adapt("hello", ctx)).toEqual({ status: "ignored", reason: expect.stringContaining("not a Kubernetes object") });
    expect(adapt(null, ctx).status).toBe("ignored");
    expect(adapt([1, 2], ctx).status).toBe("ignored");
    expect(adapt({ kind: "VPCEndpoint" }, ctx)).toEqual({ status: "ignored", reason: "no apiVersion" });
    expect(adapt({ apiVersion: "ec2.aws.upbound.io/v1beta2" }, ctx)).toEqual({ status: "ignored", reason: "no kind" });
    expect(adapt({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, ctx).status).toBe("ignored");
    expect(adapt({ apiVersion: "ec2.aws.upbound.io/v1beta3", kind: "VPCEndpoint", metadata: { name: "x" } }, ctx)).toEqual({
      status: "ignored",
      reason: expect.stringContaining("version is not one"),
    });
  });

  it("marks our kind without metadata.name invalid, naming the field", () => {
    const result = adapt({ apiVersion: "s3.aws.upbound.io/v1beta2", kind: "Bucket", spec: { forProvider: { region: "us-east-1" } } }, ctx);
    expect(result).toEqual({
      status: "invalid",
      issues: [{ path: "metadata.name", message: expect.stringContaining("give the object a name") }],
    });
  });

  describe("metadata.generateName without a name (kubectl create, compositions)", () => {
    const generated = [
      [
        "upjet Bucket",
        {
          apiVersion: "s3.aws.upbound.io/v1beta2",
          kind: "Bucket",
          metadata: { generateName: "reports-" },
          spec: { forProvider: { region: "us-east-1" } },
        },
      ],
      [
        "upjet namespaced VPCEndpoint",
        {
          apiVersion: "ec2.aws.m.upbound.io/v1beta1",
          kind: "VPCEndpoint",
          metadata: { generateName: "s3-", namespace: "team-a" },
          spec: { forProvider: { region: "us-east-1", serviceName: "com.amazonaws.us-east-1.s3", vpcId: "vpc-1a2b3c4d" } },
        },
      ],
      [
        "community VPCEndpoint",
        {
          apiVersion: "ec2.aws.crossplane.io/v1alpha1",
          kind: "VPCEndpoint",
          metadata: { generateName: "s3-" },
          spec: { forProvider: { region: "us-east-1", serviceName: "com.amazonaws.us-east-1.s3", vpcId: "vpc-1a2b3c4d" } },
        },
      ],
      [
        "ACK Bucket",
        {
          apiVersion: "s3.services.k8s.aws/v1alpha1",
          kind: "Bucket",
          metadata: { generateName: "reports-", namespace: "team-a" },
          spec: { name: "reports-bucket" },
        },
      ],
    ] as const;
    it.each(generated)("checks a %s and names it <generateName>*", (_name, raw) => {
      const result = adapt(structuredClone(raw) as unknown as Record<string, unknown>, ctx);
      expect(result.status).toBe("adapted");
      if (result.status !== "adapted") return;
      expect(result.object.ref.name).toBe(`${raw.metadata.generateName}*`);
    });

    it("leaves a Crossplane bucket's S3 name unknown until the API server names the object", () => {
      const result = adapt(
        {
          apiVersion: "s3.aws.upbound.io/v1beta2",
          kind: "Bucket",
          metadata: { generateName: "reports-" },
          spec: { forProvider: { region: "us-east-1" } },
        },
        ctx,
      );
      expect(result.status === "adapted" && result.object.type === "Bucket" ? result.object.name : "not a bucket").toBeUndefined();
    });
  });

  it("marks a spec that is a string invalid", () => {
    const result = adapt({ apiVersion: "ec2.aws.crossplane.io/v1alpha1", kind: "VPCEndpoint", metadata: { name: "x" }, spec: "oops" }, ctx);
    expect(result.status).toBe("invalid");
    if (result.status === "invalid") expect(result.issues[0]?.path).toBe("spec");
  });

  it("adapts wrongly typed fields with issues instead of failing", () => {
    const result = adapt(
      {
        apiVersion: "ec2.aws.upbound.io/v1beta2",
        kind: "VPCEndpoint",
        metadata: { name: "typed-badly", labels: { n: 1 } },
        spec: { forProvider: { region: 42, serviceName: ["com.amazonaws.us-east-1.s3"], policy: { Version: "2012-10-17" } } },
      },
      ctx,
    );
    expect(result.status).toBe("adapted");
    if (result.status !== "adapted") return;
    expect(result.issues.map((i) => i.path).sort()).toEqual([
      "spec.forProvider.policy",
      "spec.forProvider.region",
      "spec.forProvider.serviceName",
    ]);
    expect(result.object.type === "Endpoint" && result.object.policy?.path).toBe("spec.forProvider.policy");
  });

  it("survives a namespace named like an Object.prototype member (fast-check seed 337231544)", () => {
    const prototypeLookup = { namespaceDefaultRegion: (ns: string) => (({}) as Record<string, string>)[ns], defaultRegion: "us-east-1" };
    const result = adapt(
      { apiVersion: "s3.services.k8s.aws/v1alpha1", kind: "Bucket", metadata: { name: "b", namespace: "toString" }, spec: {} },
      prototypeLookup,
    );
    expect(result.status === "adapted" && result.object.type === "Bucket" && result.object.region).toEqual({
      value: "us-east-1",
      path: "config defaults.region",
    });
  });

  it("notes a missing required region", () => {
    const result = adapt(
      {
        apiVersion: "ec2.aws.crossplane.io/v1alpha1",
        kind: "VPCEndpoint",
        metadata: { name: "x" },
        spec: { forProvider: { serviceName: "com.amazonaws.us-east-1.s3" } },
      },
      ctx,
    );
    expect(result.status === "adapted" && result.issues).toEqual([
      { path: "spec.forProvider.region", message: expect.stringContaining("is required") },
    ]);
  });

  it("adapts an Upjet object without forProvider, with an issue", () => {
    const result = adapt({ apiVersion: "s3.aws.upbound.io/v1beta1", kind: "BucketPolicy", metadata: { name: "bp" } }, ctx);
    expect(result.status).toBe("adapted");
    if (result.status === "adapted") expect(result.issues.map((i) => i.path)).toContain("spec.forProvider");
  });

  it("models an object read once (an admission review) exactly as one that is kept", () => {
    const objects = [...yamlFilesUnder(FIXTURES), ...yamlFilesUnder(EXAMPLES)].flatMap((file) =>
      parseYaml(readFileSync(file, "utf8"), file),
    );
    const transient = { ...ctx, transient: true };
    let adapted = 0;
    for (const raw of objects) {
      const kept = adapt(raw, ctx);
      expect(adapt(raw, transient)).toStrictEqual(kept);
      if (kept.status === "adapted") adapted += 1;
    }
    expect(adapted).toBeGreaterThan(50);
  });

  it("never throws on random JSON, including shapes of our kinds", () => {
    const kinds = WATCHED_KINDS.map((k) => ({ apiVersion: `${k.group}/${k.version}`, kind: k.kind }));
    const ourObject = fc.record({
      head: fc.constantFrom(...kinds, { apiVersion: "v1", kind: "Namespace" }),
      metadata: fc.oneof(fc.jsonValue(), fc.record({ name: fc.string(), namespace: fc.string(), annotations: fc.jsonValue() })),
      spec: fc.oneof(
        fc.jsonValue(),
        fc.record({ forProvider: fc.jsonValue(), initProvider: fc.jsonValue() }),
        fc.dictionary(
          fc.constantFrom("forProvider", "name", "policy", "policyDocument", "vpcRef", "routeTableRefs", "dnsOptions", "serviceName"),
          fc.jsonValue(),
        ),
      ),
      status: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), ourObject), (value) => {
        const raw = isHeaded(value) ? { ...value.head, metadata: value.metadata, spec: value.spec, status: value.status } : value;
        const result = adapt(raw, ctx);
        expect(["adapted", "ignored", "invalid"]).toContain(result.status);
        if (result.status === "invalid") expect(result.issues.every((i) => !i.message.includes("internal error"))).toBe(true);
      }),
      fuzzSettings(171, 2000),
    );
  });
});

function isHeaded(value: unknown): value is { head: object; metadata: unknown; spec: unknown; status: unknown } {
  return typeof value === "object" && value !== null && "head" in value;
}
