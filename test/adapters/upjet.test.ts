import { describe, expect, it } from "vitest";
import { adaptAs, fixtureAs } from "./helpers.js";

describe("Upjet cluster VPCEndpoint", () => {
  it("reads v1beta1 with the dnsOptions list, the policy string and status ids", () => {
    const { object: e, issues } = fixtureAs("upjet/vpcendpoint-v1beta1.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.family).toBe("upjet");
    expect(e.ref).toEqual({
      apiVersion: "ec2.aws.upbound.io/v1beta1",
      kind: "VPCEndpoint",
      namespace: null,
      name: "payments-s3-gateway",
      uid: "5f0c8a52-2b1e-4d7e-9a55-0b6f3c1d2e11",
    });
    expect(e.region).toEqual({ value: "us-east-1", path: "spec.forProvider.region" });
    expect(e.serviceName).toEqual({ value: "com.amazonaws.us-east-1.s3", path: "spec.forProvider.serviceName" });
    expect(e.isS3).toBe(true);
    expect(e.serviceNameRegion).toBe("us-east-1");
    expect(e.serviceNameByReference).toBe(false);
    expect(e.endpointType).toEqual({ value: "Gateway", path: "spec.forProvider.vpcEndpointType" });
    expect(e.vpc).toEqual({ value: "vpc-0a1b2c3d4e5f67890", path: "spec.forProvider.vpcId" });
    expect(e.routeTables).toEqual([]);
    expect(e.observedRouteTableIds).toEqual(["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"]);
    expect(e.ipAddressType).toEqual({ value: "ipv4", path: "spec.forProvider.ipAddressType" });
    expect(e.dnsRecordIpType).toEqual({ value: "ipv4", path: "spec.forProvider.dnsOptions[0].dnsRecordIpType" });
    expect(e.awsId).toBe("vpce-0a1b2c3d4e5f67890");
    expect(e.labels).toEqual({ team: "payments" });
    expect(e.annotations["crossplane.io/external-name"]).toBe("vpce-0a1b2c3d4e5f67890");
    expect(e.policy?.path).toBe("spec.forProvider.policy");
    expect(e.policy?.text).toContain('"Sid": "PaymentsBucketsOnly"');
    expect(e.policy?.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(e.policy?.document?.statements[0]?.resource).toEqual(["arn:aws:s3:::acme-payments-data", "arn:aws:s3:::acme-payments-data/*"]);
  });

  it("reads v1beta2 with the dnsOptions object, a VPC ref, subnets and a folded policy", () => {
    const { object: e, issues } = fixtureAs("upjet/vpcendpoint-v1beta2.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.endpointType).toEqual({ value: "Interface", path: "spec.forProvider.vpcEndpointType" });
    expect(e.vpc).toEqual({ ref: { name: "analytics-vpc" }, path: "spec.forProvider.vpcIdRef" });
    expect(e.dnsRecordIpType).toEqual({ value: "dualstack", path: "spec.forProvider.dnsOptions.dnsRecordIpType" });
    expect(e.ipAddressType?.value).toBe("dualstack");
    expect(e.subnets).toEqual([
      { value: "subnet-0a1b2c3d4e5f60001", path: "spec.forProvider.subnetConfiguration[0].subnetId" },
      { ref: { name: "analytics-private-b" }, path: "spec.forProvider.subnetConfiguration[1].subnetIdRef" },
    ]);
    // No status and no external-name yet: the provider sets them after create.
    expect(e.awsId).toBeUndefined();
    expect(e.observedRouteTableIds).toEqual([]);
    expect(e.policy?.document?.statements[0]?.action).toEqual(["s3:GetObject"]);
  });

  it("reads fields that sit only in spec.initProvider and records that path", () => {
    const { object: e, issues } = fixtureAs("upjet/vpcendpoint-initprovider.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.region).toEqual({ value: "us-west-2", path: "spec.forProvider.region" });
    expect(e.serviceName).toEqual({ value: "com.amazonaws.us-west-2.s3", path: "spec.initProvider.serviceName" });
    expect(e.vpc).toEqual({ value: "vpc-0b1c2d3e4f5a67890", path: "spec.initProvider.vpcId" });
    expect(e.dnsRecordIpType?.path).toBe("spec.initProvider.dnsOptions.dnsRecordIpType");
    expect(e.policy?.path).toBe("spec.initProvider.policy");
    expect(e.policy?.document?.statements).toHaveLength(1);
    // Not set anywhere: AWS's default type.
    expect(e.endpointType).toEqual({ value: "Gateway", path: "spec.forProvider.vpcEndpointType" });
  });

  it("prefers spec.forProvider when both sections set a field", () => {
    const { object: e } = fixtureAs("upjet/vpcendpoint-forprovider-wins.yaml", "Endpoint");
    expect(e.serviceName?.path).toBe("spec.forProvider.serviceName");
    expect(e.serviceNameRegion).toBe("us-east-1");
    // forProvider gives the VPC by selector, so initProvider's vpcId is not used.
    expect(e.vpc).toEqual({ selector: { matchLabels: { network: "shared" } }, path: "spec.forProvider.vpcIdSelector" });
    // Only initProvider sets the type.
    expect(e.endpointType).toEqual({ value: "Interface", path: "spec.initProvider.vpcEndpointType" });
  });

  it("keeps a service given only by selector as a reference, not an S3 endpoint yet", () => {
    const { object: e, issues } = fixtureAs("upjet/vpcendpoint-selectors.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.serviceName).toBeUndefined();
    expect(e.serviceNameByReference).toBe(true);
    expect(e.isS3).toBe(false);
    expect(e.vpc?.selector).toEqual({ matchLabels: { "testing.upbound.io/example-name": "main" } });
  });

  it("reads every dnsOptions element of v1beta1 and keeps the non-IPv4 one", () => {
    const { object: e, issues } = fixtureAs("upjet/vpcendpoint-dnsoptions-array.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.dnsRecordIpType).toEqual({ value: "dualstack", path: "spec.forProvider.dnsOptions[1].dnsRecordIpType" });
  });

  it("notes a dnsOptions shape that does not match the version, and still reads it", () => {
    const raw = {
      apiVersion: "ec2.aws.upbound.io/v1beta2",
      kind: "VPCEndpoint",
      metadata: { name: "wrong-shape" },
      spec: { forProvider: { region: "us-east-1", dnsOptions: [{ dnsRecordIpType: "ipv6" }] } },
    };
    const { object: e, issues } = adaptAs(raw, "Endpoint");
    expect(e.dnsRecordIpType).toEqual({ value: "ipv6", path: "spec.forProvider.dnsOptions[0].dnsRecordIpType" });
    expect(issues).toEqual([
      expect.objectContaining({ path: "spec.forProvider.dnsOptions", message: expect.stringContaining("an object") }),
    ]);
  });

  it("parses partition-prefixed service names (aws-cn)", () => {
    const { object: e } = fixtureAs("upjet/vpcendpoint-china.yaml", "Endpoint");
    expect(e.isS3).toBe(true);
    expect(e.serviceNameRegion).toBe("cn-north-1");
  });

  it("adapts non-S3 endpoints with isS3 false", () => {
    const { object: e } = fixtureAs("upjet/vpcendpoint-ec2-interface.yaml", "Endpoint");
    expect(e.isS3).toBe(false);
    expect(e.serviceNameRegion).toBe("us-west-1");
  });
});

describe("Upjet associations", () => {
  it("reads a route-table association by ids", () => {
    const { object: a, issues } = fixtureAs("upjet/vpcendpointroutetableassociation-v1beta1.yaml", "RouteTableAssociation");
    expect(issues).toEqual([]);
    expect(a.endpoint).toEqual({ value: "vpce-0a1b2c3d4e5f67890", path: "spec.forProvider.vpcEndpointId" });
    expect(a.routeTable).toEqual({ value: "rtb-0123456789abcdef0", path: "spec.forProvider.routeTableId" });
    expect(a.region?.value).toBe("us-east-1");
  });

  it("reads a route-table association by ref and selector (cluster-scoped: no namespaces)", () => {
    const { object: a } = fixtureAs("upjet/vpcendpointroutetableassociation-v1beta1.yaml", "RouteTableAssociation", 1);
    expect(a.endpoint).toEqual({ ref: { name: "payments-s3-gateway" }, path: "spec.forProvider.vpcEndpointIdRef" });
    expect(a.routeTable).toEqual({
      selector: { matchLabels: { tier: "private", zone: "b" } },
      path: "spec.forProvider.routeTableIdSelector",
    });
  });

  it("reads a subnet association", () => {
    const { object: a, issues } = fixtureAs("upjet/vpcendpointsubnetassociation-v1beta1.yaml", "SubnetAssociation");
    expect(issues).toEqual([]);
    expect(a.endpoint.ref).toEqual({ name: "analytics-s3-interface" });
    expect(a.subnet).toEqual({ value: "subnet-0a1b2c3d4e5f60001", path: "spec.forProvider.subnetId" });
  });

  it("reports an association that names no endpoint", () => {
    const { object: a, issues } = adaptAs(
      {
        apiVersion: "ec2.aws.upbound.io/v1beta1",
        kind: "VPCEndpointRouteTableAssociation",
        metadata: { name: "dangling" },
        spec: { forProvider: { region: "us-east-1", routeTableId: "rtb-0123456789abcdef0" } },
      },
      "RouteTableAssociation",
    );
    expect(a.endpoint).toEqual({ path: "spec.forProvider.vpcEndpointId" });
    expect(issues[0]?.message).toMatch(/vpcEndpointId, vpcEndpointIdRef or vpcEndpointIdSelector/);
  });
});

describe("Upjet Bucket and BucketPolicy", () => {
  it("names a bucket by external-name", () => {
    const { object: b, issues } = fixtureAs("upjet/bucket-v1beta1.yaml", "Bucket");
    expect(issues).toEqual([]);
    expect(b.name).toEqual({ value: "acme-payments-data", path: 'metadata.annotations["crossplane.io/external-name"]' });
    expect(b.region).toEqual({ value: "us-east-1", path: "spec.forProvider.region" });
    expect(b.policy).toBeUndefined();
  });

  it("names a bucket by metadata.name without external-name", () => {
    const { object: b } = fixtureAs("upjet/bucket-v1beta2.yaml", "Bucket");
    expect(b.name).toEqual({ value: "acme-analytics-raw", path: "metadata.name" });
    expect(b.region?.value).toBe("eu-west-1");
  });

  it("reads a BucketPolicy with a bucket ref and a policy string", () => {
    const { object: p, issues } = fixtureAs("upjet/bucketpolicy-v1beta1.yaml", "BucketPolicy");
    expect(issues).toEqual([]);
    expect(p.bucket).toEqual({ ref: { name: "payments-data" }, path: "spec.forProvider.bucketRef" });
    expect(p.region?.value).toBe("us-east-1");
    expect(p.policy?.path).toBe("spec.forProvider.policy");
    const condition = p.policy?.document?.statements[0]?.conditions[0];
    expect(condition?.key).toBe("aws:SourceVpce");
    expect(condition?.values).toEqual(["vpce-0a1b2c3d4e5f67890"]);
  });

  it("reads a BucketPolicy from spec.initProvider", () => {
    const { object: p, issues } = fixtureAs("upjet/bucketpolicy-initprovider.yaml", "BucketPolicy");
    expect(issues).toEqual([]);
    expect(p.bucket).toEqual({ value: "acme-build-cache", path: "spec.initProvider.bucket" });
    expect(p.policy?.path).toBe("spec.initProvider.policy");
    expect(p.policy?.document?.statements[0]?.effect).toBe("Deny");
  });

  it("keeps a policy that is not JSON as a parse error on the policy, not a throw", () => {
    const { object: p, issues } = fixtureAs("upjet/bucketpolicy-not-json.yaml", "BucketPolicy");
    expect(issues).toEqual([]);
    expect(p.policy?.document).toBeUndefined();
    expect(p.policy?.issues.some((i) => i.severity === "error")).toBe(true);
    expect(p.policy?.text).toContain('"Effect": "Deny",}');
  });
});

describe("Upjet namespaced (.m)", () => {
  it("gives refs without namespace the object's namespace", () => {
    const { object: e, issues } = fixtureAs("upjet-namespaced/vpcendpoint-v1beta1.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.family).toBe("upjet-namespaced");
    expect(e.ref.namespace).toBe("team-orders");
    expect(e.vpc).toEqual({ ref: { name: "orders-vpc", namespace: "team-orders" }, path: "spec.forProvider.vpcIdRef" });
    expect(e.dnsRecordIpType?.path).toBe("spec.forProvider.dnsOptions.dnsRecordIpType");
    expect(e.awsId).toBe("vpce-0e1f2a3b4c5d67890");
    expect(e.observedRouteTableIds).toEqual(["rtb-0aa11bb22cc33dd44"]);
  });

  it("keeps explicit namespaces of selectors and reads subnetConfiguration and serviceRegion", () => {
    const { object: e, issues } = fixtureAs("upjet-namespaced/vpcendpoint-interface-subnets.yaml", "Endpoint");
    expect(issues).toEqual([]);
    expect(e.vpc).toEqual({
      selector: { matchLabels: { network: "shared" }, namespace: "network" },
      path: "spec.forProvider.vpcIdSelector",
    });
    expect(e.serviceRegion).toEqual({ value: "us-east-1", path: "spec.forProvider.serviceRegion" });
    expect(e.serviceNameRegion).toBe("us-east-1");
    expect(e.region?.value).toBe("ap-southeast-2");
    expect(e.subnets).toEqual([
      { value: "subnet-0b1c2d3e4f5a60001", path: "spec.forProvider.subnetConfiguration[0].subnetId" },
      { ref: { name: "orders-private-b", namespace: "team-orders" }, path: "spec.forProvider.subnetConfiguration[1].subnetIdRef" },
      {
        selector: { matchLabels: { zone: "c" }, namespace: "network" },
        path: "spec.forProvider.subnetConfiguration[2].subnetIdSelector",
      },
    ]);
  });

  it("reads namespaced associations, buckets and bucket policies", () => {
    const rta = fixtureAs("upjet-namespaced/vpcendpointroutetableassociation-v1beta1.yaml", "RouteTableAssociation").object;
    expect(rta.endpoint.ref).toEqual({ name: "orders-s3-gateway", namespace: "team-orders" });
    expect(rta.routeTable.ref).toEqual({ name: "private-a", namespace: "network" });
    const sna = fixtureAs("upjet-namespaced/vpcendpointsubnetassociation-v1beta1.yaml", "SubnetAssociation").object;
    expect(sna.endpoint.selector).toEqual({ matchLabels: { app: "orders" }, namespace: "team-orders" });
    const bucket = fixtureAs("upjet-namespaced/bucket-v1beta1.yaml", "Bucket").object;
    expect(bucket.name?.value).toBe("acme-orders");
    expect(bucket.ref.namespace).toBe("team-orders");
    const policy = fixtureAs("upjet-namespaced/bucketpolicy-v1beta1.yaml", "BucketPolicy").object;
    expect(policy.bucket).toEqual({
      selector: { matchLabels: { app: "orders" }, namespace: "team-orders" },
      path: "spec.forProvider.bucketSelector",
    });
  });
});
