import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import { ackEndpoint, communityEndpoint, upjetEndpoint } from "../helpers/manifests.js";

const rule = "ipv4-only" as const;

describe("ipv4-only", () => {
  it.each([
    ["upjet ipAddressType", upjetEndpoint({ ipAddressType: "dualstack" }), "spec.forProvider.ipAddressType"],
    [
      "upjet v1beta1 dnsOptions array",
      upjetEndpoint({ dnsRecordIpType: "ipv6" }, "v1beta1"),
      "spec.forProvider.dnsOptions[0].dnsRecordIpType",
    ],
    ["upjet v1beta2 dnsOptions object", upjetEndpoint({ dnsRecordIpType: "ipv6" }), "spec.forProvider.dnsOptions.dnsRecordIpType"],
    ["community", communityEndpoint({ ipAddressType: "ipv6" }), "spec.forProvider.ipAddressType"],
    ["ack dns", ackEndpoint({ dnsRecordIpType: "dualstack" }), "spec.dnsOptions.dnsRecordIPType"],
  ])("warns on %s", (_name, endpoint, path) => {
    const findings = check([endpoint], {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.action).toBe("warn");
    expect(findings[0]!.path).toBe(path);
  });

  it("passes ipv4 and is silent at awsFeatureLevel current", () => {
    expect(check([upjetEndpoint({ ipAddressType: "ipv4", dnsRecordIpType: "ipv4" })], {}, rule)).toEqual([]);
    expect(check([upjetEndpoint({ ipAddressType: "ipv6" })], { awsFeatureLevel: "current" }, rule)).toEqual([]);
  });
});
