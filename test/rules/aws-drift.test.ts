import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { checkObjects } from "../../src/app/check-objects.js";
import type { EndpointFact, ExternalFacts, VpcFact } from "../../src/core/inventory/aws-facts.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import type { Finding } from "../../src/core/model/findings.js";
import { adapt } from "../../src/core/adapters/index.js";
import { adapterContext } from "../../src/core/adapters/inventory-adapter.js";
import { review } from "../../src/core/engine/engine.js";
import { config } from "../helpers/check.js";
import { ackEndpoint, bucketGrant, communityEndpoint, upjetEndpoint, upjetRouteTableAssociation } from "../helpers/manifests.js";

const rule = "aws-drift" as const;
const VPCE = "vpce-0a1b2c3d4e5f67890";
const VPC = "vpc-0a1b2c3d4e5f67890";
const RTB = "rtb-0a1b2c3d4e5f67890";
const GRANT = bucketGrant("my-secure-bucket");

/** Our own ExternalFacts interface, answered from a table. */
function facts(endpoints: EndpointFact[], vpcs: VpcFact[] = []): ExternalFacts {
  return {
    endpoint: (id) => endpoints.find((e) => e.id === id),
    vpc: (id) => vpcs.find((v) => v.id === id),
    vpcs: () => vpcs,
  };
}

function inAws(overrides: Partial<EndpointFact> = {}): EndpointFact {
  return {
    id: VPCE,
    region: "us-east-1",
    vpcId: VPC,
    serviceName: "com.amazonaws.us-east-1.s3",
    routeTableIds: [RTB],
    policy: JSON.stringify(GRANT),
    state: "available",
    ...overrides,
  };
}

function drift(objects: KubeObject[], external: ExternalFacts | undefined, cfg: Record<string, unknown> = {}): Finding[] {
  const inventory = new Inventory();
  inventory.facts = external;
  const report = checkObjects(
    objects.map((object, i) => ({ object, file: "test.yaml", line: i + 1 })),
    { config: config(cfg), inventory },
  );
  return report.findings.filter((f) => f.rule === rule);
}

const upjet = (o: Parameters<typeof upjetEndpoint>[0] = {}) => upjetEndpoint({ awsId: VPCE, policy: GRANT, ...o });
const association = (routeTableId = RTB) =>
  upjetRouteTableAssociation({ name: `rta-${routeTableId}`, endpointRef: "s3-gateway", routeTableId });

describe("aws-drift", () => {
  it("reports nothing when AWS matches the CR (policy compared semantically)", () => {
    const reordered = {
      Statement: [
        {
          Resource: [...(GRANT.Statement as { Resource: string[] }[])[0]!.Resource].reverse(),
          Action: ["s3:ListBucket", "s3:getobject", "s3:PutObject"],
          Principal: "*",
          Effect: "Allow",
        },
      ],
      Version: "2012-10-17",
    };
    expect(drift([upjet(), association()], facts([inAws({ policy: JSON.stringify(reordered) })]))).toEqual([]);
    expect(drift([communityEndpoint({ awsId: VPCE, policy: GRANT })], facts([inAws()]))).toEqual([]);
    expect(drift([ackEndpoint({ awsId: VPCE, policy: GRANT })], facts([inAws()]))).toEqual([]);
  });

  it("is an audit finding by default and can be configured", () => {
    const external = facts([inAws({ vpcId: "vpc-99999999" })]);
    expect(drift([upjet(), association()], external).map((f) => f.action)).toEqual(["audit"]);
    expect(drift([upjet(), association()], external, { rules: { "aws-drift": { action: "warn" } } }).map((f) => f.action)).toEqual([
      "warn",
    ]);
  });

  it("reports a different policy, with the CR field as path", () => {
    const [f, ...rest] = drift([upjet(), association()], facts([inAws({ policy: JSON.stringify(bucketGrant("other-bucket")) })]));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ path: "spec.forProvider.policy", resource: { kind: "VPCEndpoint", name: "s3-gateway" } });
    expect(f!.message).toContain(`differs from the policy of ${VPCE} in AWS (us-east-1)`);
  });

  it("treats an absent policy as AWS's default full-access policy", () => {
    const fullAccess = JSON.stringify({
      Version: "2008-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }],
    });
    expect(drift([upjetEndpoint({ awsId: VPCE }), association()], facts([inAws({ policy: fullAccess })]))).toEqual([]);
    expect(drift([upjetEndpoint({ awsId: VPCE }), association()], facts([inAws({ policy: undefined })]))).toEqual([]);
    const [f] = drift([upjetEndpoint({ awsId: VPCE }), association()], facts([inAws()]));
    expect(f!.message).toMatch(/no policy is set .* AWS's default full-access policy/);
    const [g] = drift([upjet(), association()], facts([inAws({ policy: fullAccess })]));
    expect(g!.path).toBe("spec.forProvider.policy");
  });

  it("compares route tables as sets: Upjet associations", () => {
    expect(drift([upjet(), association("rtb-2"), association("rtb-1")], facts([inAws({ routeTableIds: ["rtb-1", "rtb-2"] })]))).toEqual([]);
    const [f] = drift([upjet(), association("rtb-1"), association("rtb-3")], facts([inAws({ routeTableIds: ["rtb-1", "rtb-2"] })]));
    expect(f!.message).toContain("not attached in AWS: rtb-3; attached only in AWS: rtb-2");
    expect(f!.message).toContain("VPCEndpointRouteTableAssociations");
  });

  it("Upjet without associations: a complete inventory declares none", () => {
    const [f] = drift([upjet()], facts([inAws({ routeTableIds: ["rtb-1"] })]));
    expect(f!.message).toContain("attached only in AWS: rtb-1");
    expect(drift([upjet()], facts([inAws({ routeTableIds: [] })]))).toEqual([]);
  });

  it("compares route tables of community and ACK endpoints from their spec", () => {
    const [c] = drift(
      [communityEndpoint({ awsId: VPCE, policy: GRANT, routeTableIds: ["rtb-1"] })],
      facts([inAws({ routeTableIds: ["rtb-2"] })]),
    );
    expect(c!.path).toBe("spec.forProvider.routeTableIds[0]");
    const [a] = drift(
      [ackEndpoint({ awsId: VPCE, policy: GRANT, routeTableIds: ["rtb-1", "rtb-2"] })],
      facts([inAws({ routeTableIds: ["rtb-1"] })]),
    );
    expect(a!.message).toContain("not attached in AWS: rtb-2");
  });

  it("ignores route tables of Interface endpoints", () => {
    expect(drift([upjet({ type: "Interface" })], facts([inAws({ routeTableIds: ["rtb-1"] })]))).toEqual([]);
  });

  it("reports another VPC", () => {
    const [f] = drift([upjet(), association()], facts([inAws({ vpcId: "vpc-99999999" })]));
    expect(f).toMatchObject({ path: "spec.forProvider.vpcId" });
    expect(f!.message).toContain(`is ${VPC} but ${VPCE} in AWS (us-east-1) is in vpc-99999999`);
  });

  it("reports an endpoint that AWS does not have", () => {
    const [f] = drift([upjet(), association()], facts([]));
    expect(f).toMatchObject({ path: "status.atProvider.id" });
    expect(f!.message).toContain(`endpoint ${VPCE} (status.atProvider.id) was not found in AWS`);
  });

  it("with a fact source that knows when it has not looked yet, waits instead of reporting absence", () => {
    let looked = false;
    const cautious = {
      ...facts([]),
      endpointAbsent: () => looked,
      endpointAnyState: () => (looked ? inAws({ state: "deleted" }) : undefined),
    };
    expect(drift([upjet(), association()], cautious)).toEqual([]);
    looked = true;
    const [f] = drift([upjet(), association()], cautious);
    expect(f!.message).toContain("is deleted in AWS");
  });

  it("does nothing without AWS facts, without an awsId, for non-S3 endpoints, or at admission", () => {
    const different = facts([inAws({ vpcId: "vpc-99999999" })]);
    expect(drift([upjet(), association()], undefined)).toEqual([]);
    expect(drift([upjetEndpoint({ policy: GRANT }), association()], different)).toEqual([]);
    expect(drift([upjet({ serviceName: "com.amazonaws.us-east-1.dynamodb" }), association()], different)).toEqual([]);
  });

  it("stays out of admission: an object under review differs from AWS by design", () => {
    const inventory = new Inventory();
    inventory.facts = facts([inAws({ vpcId: "vpc-99999999" })]);
    const cfg = config();
    const adapted = adapt(upjet(), adapterContext(inventory, cfg));
    if (adapted.status !== "adapted") throw new Error("not adapted");
    const run = (mode: "admission" | "audit") =>
      review(
        {
          subject: adapted.object,
          mode,
          inventoryComplete: true,
          ...(mode === "admission" ? { operation: "UPDATE" as const, oldSubject: adapted.object } : {}),
        },
        { config: cfg, inventory },
      ).filter((f) => f.rule === rule);
    expect(run("admission")).toEqual([]);
    expect(run("audit").map((f) => f.path)).toContain("spec.forProvider.vpcId");
  });
});
