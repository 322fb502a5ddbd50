import { describe, expect, it } from "vitest";
import { admit, check } from "../helpers/check.js";
import { ackEndpoint, communityEndpoint, upjetEndpoint, upjetRouteTableAssociation } from "../helpers/manifests.js";

const rule = "gateway-without-route-tables" as const;

describe("gateway-without-route-tables", () => {
  it("warns on an Upjet Gateway endpoint that no association points at", () => {
    const findings = check([upjetEndpoint({})], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.fix).toMatch(/VPCEndpointRouteTableAssociation/);
  });

  it.each([
    ["by endpoint id", upjetRouteTableAssociation({ endpointId: "vpce-0a1b2c3d4e5f67890" })],
    ["by reference", upjetRouteTableAssociation({ endpointRef: "s3-gateway" })],
  ])("passes an Upjet endpoint with an association %s", (_how, rta) => {
    expect(check([upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" }), rta], {}, rule)).toEqual([]);
  });

  it("does not guess before the inventory is complete", () => {
    expect(admit({ object: upjetEndpoint({}), operation: "CREATE", inventoryComplete: false }, rule)).toEqual([]);
    expect(admit({ object: upjetEndpoint({}), operation: "CREATE", inventoryComplete: true }, rule)).toHaveLength(1);
  });

  it("reads route tables from the spec for community and ACK", () => {
    expect(check([communityEndpoint({ routeTableIds: [] })], {}, rule)).toHaveLength(1);
    expect(check([ackEndpoint({ routeTableIds: [] })], {}, rule)).toHaveLength(1);
    expect(check([communityEndpoint({}), ackEndpoint({})], {}, rule)).toEqual([]);
  });

  it("ignores Interface endpoints", () => {
    expect(check([upjetEndpoint({ type: "Interface" })], {}, rule)).toEqual([]);
  });

  it("finds an association that selects the endpoint by labels, also for an endpoint being created", () => {
    const bySelector = upjetRouteTableAssociation({ name: "by-labels" });
    const forProvider = (bySelector.spec as { forProvider: Record<string, unknown> }).forProvider;
    forProvider.vpcEndpointIdSelector = { matchLabels: { route: "main" } };
    const labelled = upjetEndpoint({ labels: { route: "main" } });
    expect(admit({ object: labelled, operation: "CREATE", cluster: [bySelector] }, rule)).toEqual([]);
    expect(admit({ object: upjetEndpoint({ labels: { route: "other" } }), operation: "CREATE", cluster: [bySelector] }, rule)).toHaveLength(
      1,
    );
  });
});
