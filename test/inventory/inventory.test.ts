import { describe, expect, it } from "vitest";
import { adapt } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import type { ModelObject } from "../../src/core/model/types.js";
import { upjetBucket, upjetBucketPolicy, upjetEndpoint, upjetRouteTableAssociation } from "../helpers/manifests.js";

const ctx = { namespaceDefaultRegion: () => undefined, defaultRegion: "us-east-1" };
function model(o: KubeObject): ModelObject {
  const r = adapt(o, ctx);
  if (r.status !== "adapted") throw new Error("not adapted");
  return r.object;
}

describe("inventory", () => {
  it("finds endpoints by AWS id and VPC, and forgets them on delete", () => {
    const inv = new Inventory();
    const e = model(upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890", vpcId: "vpc-111bbb22" }));
    inv.upsert(e);
    expect(inv.endpointsWithAwsId("vpce-0a1b2c3d4e5f67890")).toHaveLength(1);
    expect(inv.knowsVpcId("vpc-111bbb22")).toBe(true);
    expect(inv.regionOfEndpointId("vpce-0a1b2c3d4e5f67890")).toBe("us-east-1");
    inv.remove(e.ref);
    expect(inv.knowsEndpointId("vpce-0a1b2c3d4e5f67890")).toBe(false);
    expect(inv.size).toBe(0);
  });

  it("keeps every endpoint that shares an AWS id, in the order they came, as they come and go", () => {
    const inv = new Inventory();
    const id = "vpce-0a1b2c3d4e5f67890";
    const [a, b, c] = ["a", "b", "c"].map((name) => model(upjetEndpoint({ name, awsId: id })));
    const names = () => inv.endpointsWithAwsId(id).map((e) => e.ref.name);
    inv.upsert(a!);
    inv.upsert(a!);
    expect(names()).toEqual(["a"]);
    inv.upsert(b!);
    inv.upsert(c!);
    expect(names()).toEqual(["a", "b", "c"]);
    inv.remove(b!.ref);
    expect(names()).toEqual(["a", "c"]);
    inv.remove(a!.ref);
    inv.remove(c!.ref);
    expect(names()).toEqual([]);
    expect(inv.knowsEndpointId(id)).toBe(false);
    inv.upsert(c!);
    expect(names()).toEqual(["c"]);
    inv.remove(a!.ref);
    expect(names()).toEqual(["c"]);
  });

  it("treats v1beta1 and v1beta2 of one object as the same object and re-indexes on update", () => {
    const inv = new Inventory();
    inv.upsert(model(upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" }, "v1beta1")));
    inv.upsert(model(upjetEndpoint({ awsId: "vpce-1a1b2c3d4e5f67890" }, "v1beta2")));
    expect(inv.size).toBe(1);
    expect(inv.knowsEndpointId("vpce-0a1b2c3d4e5f67890")).toBe(false);
    expect(inv.knowsEndpointId("vpce-1a1b2c3d4e5f67890")).toBe(true);
    expect(inv.countsByKind().get("Endpoint")).toBe(1);
  });

  it("resolves BucketPolicy targets by name and by reference, both ways", () => {
    const inv = new Inventory();
    const bucket = model(upjetBucket({ name: "obj-name", bucketName: "real-bucket" }));
    const byName = model(upjetBucketPolicy({ name: "p1", bucket: "real-bucket", policy: "{}" }));
    const byRef = model(upjetBucketPolicy({ name: "p2", bucketRef: "obj-name", policy: "{}" }));
    [bucket, byName, byRef].forEach((o) => inv.upsert(o));
    expect(
      bucket.type === "Bucket" &&
        inv
          .policiesForBucket(bucket)
          .map((p) => p.ref.name)
          .sort(),
    ).toEqual(["p1", "p2"]);
    expect(byRef.type === "BucketPolicy" && inv.resolveBucket(byRef)[0]?.ref.name).toBe("obj-name");
  });

  it("finds route-table associations by endpoint id and by reference", () => {
    const inv = new Inventory();
    const e = model(upjetEndpoint({ name: "gw", awsId: "vpce-0a1b2c3d4e5f67890" }));
    inv.upsert(e);
    inv.upsert(model(upjetRouteTableAssociation({ name: "a", endpointId: "vpce-0a1b2c3d4e5f67890" })));
    inv.upsert(model(upjetRouteTableAssociation({ name: "b", endpointRef: "gw" })));
    expect(
      e.type === "Endpoint" &&
        inv
          .routeTableAssociationsFor(e)
          .map((a) => a.ref.name)
          .sort(),
    ).toEqual(["a", "b"]);
  });

  it("withObject shows the object under review and then restores the stored one", () => {
    const inv = new Inventory();
    const stored = model(upjetEndpoint({ awsId: "vpce-0a1b2c3d4e5f67890" }));
    inv.upsert(stored);
    const changed = model(upjetEndpoint({ awsId: "vpce-1a1b2c3d4e5f67890" }));
    const seen = inv.withObject(changed, () => [
      inv.knowsEndpointId("vpce-1a1b2c3d4e5f67890"),
      inv.knowsEndpointId("vpce-0a1b2c3d4e5f67890"),
      inv.get(stored.ref),
    ]);
    expect(seen).toEqual([true, false, changed]);
    expect(inv.knowsEndpointId("vpce-1a1b2c3d4e5f67890")).toBe(false);
    expect(inv.knowsEndpointId("vpce-0a1b2c3d4e5f67890")).toBe(true);
    expect(inv.get(stored.ref)).toBe(stored);
    expect(() =>
      inv.withObject(changed, () => {
        throw new Error("a rule failed");
      }),
    ).toThrow("a rule failed");
    expect(inv.get(stored.ref)).toBe(stored);
    expect(inv.knowsEndpointId("vpce-1a1b2c3d4e5f67890")).toBe(false);
    expect(inv.knowsEndpointId("vpce-0a1b2c3d4e5f67890")).toBe(true);
    expect(inv.size).toBe(1);
    const fresh = model(upjetEndpoint({ name: "new", awsId: "vpce-2a1b2c3d4e5f67890" }));
    inv.withObject(fresh, () => undefined);
    expect(inv.get(fresh.ref)).toBeUndefined();
  });
});
