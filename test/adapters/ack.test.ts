import { describe, expect, it } from "vitest";
import { contextWith, fixtureAs, adaptAs, loadFixture } from "./helpers.js";

describe("ACK VPCEndpoint", () => {
  it("reads ids, policy and the region recorded in status", () => {
    const { object: e, issues } = fixtureAs("ack/vpcendpoint-v1alpha1.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.family).toBe("ack");
    expect(e.ref.namespace).toBe("team-ledger");
    expect(e.region).toEqual({ value: "eu-north-1", path: "status.ackResourceMetadata.region" });
    expect(e.serviceName).toEqual({ value: "com.amazonaws.eu-north-1.s3", path: "spec.serviceName" });
    expect(e.isS3).toBe(true);
    expect(e.vpc).toEqual({ value: "vpc-0a9b8c7d6e5f43210", path: "spec.vpcID" });
    expect(e.routeTables).toEqual([
      { value: "rtb-0a9b8c7d6e5f40001", path: "spec.routeTableIDs[0]" },
      { value: "rtb-0a9b8c7d6e5f40002", path: "spec.routeTableIDs[1]" },
    ]);
    expect(e.policy?.path).toBe("spec.policyDocument");
    expect(e.policy?.document?.statements[0]?.resource).toContain("arn:aws:s3:::acme-ledger/*");
    expect(e.awsId).toBe("vpce-0a9b8c7d6e5f43210");
    expect(e.observedRouteTableIds).toEqual([]);
  });

  it("falls back to the namespace default region and keeps refs with namespaces", () => {
    const { object: e, issues } = fixtureAs("ack/vpcendpoint-refs.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.region).toEqual({
      value: "eu-north-1",
      path: "namespace team-ledger annotation services.k8s.aws/default-region",
    });
    expect(e.vpc).toEqual({ ref: { name: "ledger-vpc", namespace: "team-ledger" }, path: "spec.vpcRef.from" });
    expect(e.subnets).toEqual([
      { ref: { name: "ledger-private-a", namespace: "team-ledger" }, path: "spec.subnetRefs[0].from" },
      { ref: { name: "shared-private-b", namespace: "network" }, path: "spec.subnetRefs[1].from" },
    ]);
    expect(e.ipAddressType?.value).toBe("dualstack");
    expect(e.dnsRecordIpType).toEqual({ value: "dualstack", path: "spec.dnsOptions.dnsRecordIPType" });
    expect(e.endpointType.value).toBe("Interface");
  });

  it("uses the resource annotation before the namespace default, and the config default last", () => {
    const raw = loadFixture("ack/vpcendpoint-refs.yaml")[0] as { metadata: Record<string, unknown> };
    const annotated = { ...raw, metadata: { ...raw.metadata, annotations: { "services.k8s.aws/region": "eu-west-2" } } };
    expect(adaptAs(annotated, "Endpoint").object.region).toEqual({
      value: "eu-west-2",
      path: 'metadata.annotations["services.k8s.aws/region"]',
    });
    expect(adaptAs(raw, "Endpoint", contextWith({}, "ca-central-1")).object.region).toEqual({
      value: "ca-central-1",
      path: "config defaults.region",
    });
  });

  it("keeps a service given by reference and an adopted vpce id", () => {
    const { object: e, issues } = fixtureAs("ack/vpcendpoint-route-table-refs.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.serviceName).toBeUndefined();
    expect(e.serviceNameByReference).toBe(true);
    expect(e.routeTables).toEqual([{ ref: { name: "private-a", namespace: "network" }, path: "spec.routeTableRefs[0].from" }]);
    expect(e.awsId).toBe("vpce-0a9b8c7d6e5f4321f");
  });

  it("notes an id and a reference set together (the controller rejects it)", () => {
    const { issues } = adaptAs(
      {
        apiVersion: "ec2.services.k8s.aws/v1alpha1",
        kind: "VPCEndpoint",
        metadata: { name: "both", namespace: "team-ledger" },
        spec: { serviceName: "com.amazonaws.eu-north-1.s3", vpcID: "vpc-0a9b8c7d6e5f43210", vpcRef: { from: { name: "v" } } },
      },
      "Endpoint",
    );
    expect(issues).toEqual([expect.objectContaining({ path: "spec.vpcRef", message: expect.stringContaining("keep only one") })]);
  });
});

describe("ACK Bucket", () => {
  it("names the bucket by spec.name and takes the region from locationConstraint", () => {
    const { object: b, issues } = fixtureAs("ack/bucket-v1alpha1.yaml", "Bucket");
    expect(issues).toEqual([]);
    expect(b.name).toEqual({ value: "acme-ledger", path: "spec.name" });
    expect(b.ref.name).toBe("ledger-bucket");
    expect(b.region).toEqual({ value: "eu-north-1", path: "spec.createBucketConfiguration.locationConstraint" });
    expect(b.policy?.path).toBe("spec.policy");
    expect(b.policy?.document?.statements[0]?.conditions[0]?.values).toEqual(["vpce-0a9b8c7d6e5f43210"]);
  });

  it('reads the region annotation and treats policy "" as no policy', () => {
    const { object: b } = fixtureAs("ack/bucket-region-annotation.yaml", "Bucket");
    expect(b.region).toEqual({ value: "eu-west-3", path: 'metadata.annotations["services.k8s.aws/region"]' });
    expect(b.policy).toBeUndefined();
  });

  it("falls back to the namespace default region", () => {
    const { object: b } = fixtureAs("ack/bucket-namespace-default.yaml", "Bucket");
    expect(b.region?.value).toBe("eu-north-1");
    expect(b.region?.path).toBe("namespace team-ledger annotation services.k8s.aws/default-region");
  });

  it("names an adopt-only bucket (no spec) from adoption-fields", () => {
    const { object: b, issues } = fixtureAs("ack/bucket-adopt-only.yaml", "Bucket");
    expect(issues).toEqual([]);
    expect(b.name).toEqual({ value: "acme-ledger-legacy", path: 'metadata.annotations["services.k8s.aws/adoption-fields"].name' });
    expect(b.policy).toBeUndefined();
  });

  it("normalises locationConstraint EU", () => {
    const { object: b } = adaptAs(
      {
        apiVersion: "s3.services.k8s.aws/v1alpha1",
        kind: "Bucket",
        metadata: { name: "eu", namespace: "team-ledger" },
        spec: { name: "acme-eu", createBucketConfiguration: { locationConstraint: "EU" } },
      },
      "Bucket",
    );
    expect(b.region?.value).toBe("eu-west-1");
  });

  it("reports a bucket without any name and bad adoption-fields JSON", () => {
    const { object: b, issues } = adaptAs(
      {
        apiVersion: "s3.services.k8s.aws/v1alpha1",
        kind: "Bucket",
        metadata: { name: "x", namespace: "team-ledger", annotations: { "services.k8s.aws/adoption-fields": "{name:" } },
      },
      "Bucket",
    );
    expect(b.name).toBeUndefined();
    expect(issues.map((i) => i.path)).toEqual(['metadata.annotations["services.k8s.aws/adoption-fields"]', "spec.name"]);
  });
});

describe("Namespace", () => {
  it("adapts to NamespaceInfo with the ACK default region", () => {
    const { object: ns } = fixtureAs("ack/namespace.yaml", "Namespace");
    expect(ns).toEqual({
      type: "Namespace",
      ref: { apiVersion: "v1", kind: "Namespace", namespace: null, name: "team-ledger" },
      name: "team-ledger",
      defaultRegion: "eu-north-1",
      labels: { team: "ledger" },
    });
  });
});
