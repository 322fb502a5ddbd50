import { describe, expect, it } from "vitest";
import { admit, check } from "../helpers/check.js";
import { ackEndpoint, communityEndpoint, upjetEndpoint, upjetRouteTableAssociation } from "../helpers/manifests.js";

const rule = "endpoint-change-disruption" as const;
// Saturday 2026-11-28 03:30 UTC and Wednesday 2026-11-25 12:00 UTC.
const SATURDAY_NIGHT = new Date("2026-11-28T03:30:00Z");
const WEDNESDAY_NOON = new Date("2026-11-25T12:00:00Z");
const windows = { changeWindows: [{ days: ["Sat", "Sun"], start: "02:00", end: "06:00", timezone: "UTC" }] };

describe("endpoint-change-disruption", () => {
  it("warns when an S3 Gateway endpoint is created or deleted", () => {
    const e = upjetEndpoint({});
    expect(admit({ object: e, operation: "CREATE" }, rule).map((f) => f.action)).toEqual(["warn"]);
    const deleted = admit({ object: e, operation: "DELETE", cluster: [e] }, rule);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.message).toMatch(/deleting/);
  });

  it("warns when an UPDATE changes route tables, VPC or service, not when it changes tags", () => {
    const before = communityEndpoint({ routeTableIds: ["rtb-0a1b2c3d4e5f67890"] });
    const moreTables = communityEndpoint({ routeTableIds: ["rtb-0a1b2c3d4e5f67890", "rtb-1a1b2c3d4e5f67890"] });
    expect(admit({ object: moreTables, oldObject: before, operation: "UPDATE" }, rule)[0]!.message).toMatch(/route tables/);
    const otherVpc = ackEndpoint({ vpcId: "vpc-1a1b2c3d4e5f67890" });
    expect(admit({ object: otherVpc, oldObject: ackEndpoint({}), operation: "UPDATE" }, rule)[0]!.message).toMatch(/VPC/);
    const tagged = upjetEndpoint({ labels: { team: "storage" } });
    expect(admit({ object: tagged, oldObject: upjetEndpoint({}), operation: "UPDATE" }, rule)).toEqual([]);
  });

  it("ignores Interface and non-S3 endpoints", () => {
    expect(admit({ object: upjetEndpoint({ type: "Interface" }), operation: "CREATE" }, rule)).toEqual([]);
    expect(admit({ object: upjetEndpoint({ serviceName: "com.amazonaws.us-east-1.dynamodb" }), operation: "DELETE" }, rule)).toEqual([]);
  });

  it("warns on creating or deleting a route-table association of an S3 Gateway endpoint", () => {
    const e = upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" });
    const rta = upjetRouteTableAssociation({ endpointId: "vpce-0a1b2c3d4e5f67890" });
    expect(admit({ object: rta, operation: "CREATE", cluster: [e] }, rule)[0]!.message).toMatch(/attaching a route table/);
    expect(admit({ object: rta, operation: "DELETE", cluster: [e, rta] }, rule)[0]!.message).toMatch(/detaching/);
    const dynamo = upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890", serviceName: "com.amazonaws.us-east-1.dynamodb" });
    expect(admit({ object: rta, operation: "CREATE", cluster: [dynamo] }, rule)).toEqual([]);
  });

  it("denies outside change windows unless acknowledged, warns inside", () => {
    const e = upjetEndpoint({});
    expect(admit({ object: e, operation: "CREATE", config: windows, now: WEDNESDAY_NOON }, rule)[0]!.action).toBe("deny");
    expect(admit({ object: e, operation: "CREATE", config: windows, now: SATURDAY_NIGHT }, rule)[0]!.action).toBe("warn");
    const acked = upjetEndpoint({ annotations: { "s3-vpce-guard.io/disruption-acknowledged": "true" } });
    expect(admit({ object: acked, operation: "CREATE", config: windows, now: WEDNESDAY_NOON }, rule)[0]!.action).toBe("warn");
  });

  it("handles windows that run past midnight in a time zone", () => {
    const overnight = { changeWindows: [{ days: ["Fri"], start: "22:00", end: "02:00", timezone: "Europe/Berlin" }] };
    // Saturday 00:30 in Berlin (23:30 UTC Friday) is inside Friday's overnight window.
    const inside = new Date("2026-11-27T23:30:00Z");
    const outside = new Date("2026-11-28T02:30:00Z");
    expect(admit({ object: upjetEndpoint({}), operation: "CREATE", config: overnight, now: inside }, rule)[0]!.action).toBe("warn");
    expect(admit({ object: upjetEndpoint({}), operation: "CREATE", config: overnight, now: outside }, rule)[0]!.action).toBe("deny");
  });

  it("never runs outside admission", () => {
    expect(check([upjetEndpoint({})], windows, rule)).toEqual([]);
  });
});
