import { describe, expect, it } from "vitest";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import { chooseVersions, type ServedApis } from "../../src/platform/kube/discovery.js";

const served = (groups: Record<string, { preferred?: string; versions: Record<string, string[]> }>): ServedApis =>
  new Map(
    Object.entries(groups).map(([group, g]) => [
      group,
      { preferredVersion: g.preferred, kinds: new Map(Object.entries(g.versions).map(([v, kinds]) => [v, new Set(kinds)])) },
    ]),
  );

describe("chooseVersions", () => {
  it("watches each served group/kind once, in the group's preferred version", () => {
    const chosen = chooseVersions(
      WATCHED_KINDS,
      served({
        "ec2.aws.upbound.io": {
          preferred: "v1beta1",
          versions: { v1beta1: ["VPCEndpoint", "VPCEndpointRouteTableAssociation"], v1beta2: ["VPCEndpoint"] },
        },
      }),
    );
    expect([...chosen.keys()].sort()).toEqual(["VPCEndpoint.ec2.aws.upbound.io", "VPCEndpointRouteTableAssociation.ec2.aws.upbound.io"]);
    expect(chosen.get("VPCEndpoint.ec2.aws.upbound.io")?.version).toBe("v1beta1");
  });

  it("falls back to the newest known version when the preferred one is unknown to us", () => {
    const chosen = chooseVersions(
      WATCHED_KINDS,
      served({ "s3.aws.upbound.io": { preferred: "v1beta3", versions: { v1beta1: ["Bucket"], v1beta2: ["Bucket"] } } }),
    );
    expect(chosen.get("Bucket.s3.aws.upbound.io")?.version).toBe("v1beta2");
  });

  it("ignores kinds whose CRD is not installed and versions we do not know", () => {
    const chosen = chooseVersions(
      WATCHED_KINDS,
      served({ "s3.services.k8s.aws": { preferred: "v1alpha2", versions: { v1alpha2: ["Bucket"] } } }),
    );
    expect(chosen.size).toBe(0);
  });
});
