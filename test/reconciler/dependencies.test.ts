import { describe, expect, it } from "vitest";
import { objectKey } from "../../src/core/model/refs.js";
import type { ModelObject } from "../../src/core/model/types.js";
import { DependencyIndex } from "../../src/app/audit/dependencies.js";
import {
  bucketGrant,
  denyUnlessEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
} from "../helpers/manifests.js";
import { TestCluster } from "./helpers.js";

const VPCE = "vpce-0a1b2c3d4e5f67890";
const OTHER_VPCE = "vpce-0fedcba987654321f";
const VPC = "vpc-0a1b2c3d4e5f67890";

function setup() {
  const cluster = new TestCluster();
  const deps = new DependencyIndex(cluster.inventory);
  cluster.onChange((c) => (c.type === "upsert" ? deps.record(c.object) : deps.forget(c.object)));
  return { cluster, deps };
}

const names = (list: { key: string }[]) => list.map((d) => d.key).sort();
const key = (o: ModelObject) => objectKey(o.ref);

describe("DependencyIndex", () => {
  it("an endpoint change reaches the bucket policies that name its id or its VPC, and itself", () => {
    const { cluster, deps } = setup();
    const byId = cluster.apply(upjetBucketPolicy({ name: "by-id", bucket: "b1", policy: denyUnlessEndpoint("b1", VPCE) }));
    const byVpc = cluster.apply(
      upjetBucketPolicy({ name: "by-vpc", bucket: "b2", policy: denyUnlessEndpoint("b2", VPC, "aws:SourceVpc") }),
    );
    const unrelated = cluster.apply(upjetBucketPolicy({ name: "other", bucket: "b3", policy: denyUnlessEndpoint("b3", OTHER_VPCE) }));
    const endpoint = cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE, vpcId: VPC }));

    const out = names(deps.dependentsOf(undefined, endpoint));
    expect(out).toEqual([key(byId), key(byVpc), key(endpoint)].sort());
    expect(out).not.toContain(key(unrelated));
  });

  it("an endpoint whose id changes reaches the policies naming the old id and the new one", () => {
    const { cluster, deps } = setup();
    const old = cluster.apply(upjetBucketPolicy({ name: "old", bucket: "b1", policy: denyUnlessEndpoint("b1", VPCE) }));
    const next = cluster.apply(upjetBucketPolicy({ name: "new", bucket: "b2", policy: denyUnlessEndpoint("b2", OTHER_VPCE) }));
    const before = cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE, vpcId: "vpc-11111111" }));
    const after = cluster.apply(upjetEndpoint({ name: "e", awsId: OTHER_VPCE, vpcId: "vpc-11111111" }));
    expect(names(deps.dependentsOf(before, after))).toEqual([key(old), key(next), key(after)].sort());
  });

  it("a deleted endpoint still reaches the policies that named it", () => {
    const { cluster, deps } = setup();
    const policy = cluster.apply(upjetBucketPolicy({ bucket: "b1", policy: denyUnlessEndpoint("b1", VPCE) }));
    const raw = upjetEndpoint({ name: "e", awsId: VPCE });
    const endpoint = cluster.apply(raw);
    cluster.remove(raw);
    expect(names(deps.dependentsOf(endpoint, undefined))).toEqual([key(endpoint), key(policy)].sort());
  });

  it("a bucket change reaches its BucketPolicies (by name and by reference) and endpoint policies that grant it", () => {
    const { cluster, deps } = setup();
    const byName = cluster.apply(upjetBucketPolicy({ name: "by-name", bucket: "data", policy: denyUnlessEndpoint("data", VPCE) }));
    const byRef = cluster.apply(upjetBucketPolicy({ name: "by-ref", bucketRef: "data-bucket", policy: denyUnlessEndpoint("data", VPCE) }));
    const granting = cluster.apply(upjetEndpoint({ name: "grants-data", policy: bucketGrant("data") }));
    const other = cluster.apply(upjetEndpoint({ name: "grants-other", policy: bucketGrant("other") }));
    const bucket = cluster.apply(upjetBucket({ name: "data-bucket", bucketName: "data" }));

    const out = names(deps.dependentsOf(undefined, bucket));
    expect(out).toEqual([key(bucket), key(byName), key(byRef), key(granting)].sort());
    expect(out).not.toContain(key(other));
  });

  it("a bucket policy change reaches its bucket and the endpoints granting that bucket", () => {
    const { cluster, deps } = setup();
    const bucket = cluster.apply(upjetBucket({ name: "data-bucket", bucketName: "data" }));
    const granting = cluster.apply(upjetEndpoint({ name: "grants-data", policy: bucketGrant("data") }));
    const policy = cluster.apply(upjetBucketPolicy({ bucketRef: "data-bucket", policy: denyUnlessEndpoint("data", VPCE) }));
    expect(names(deps.dependentsOf(undefined, policy))).toEqual([key(bucket), key(granting), key(policy)].sort());
  });

  it("a route-table association change reaches the endpoint it attaches to, by id or by reference", () => {
    const { cluster, deps } = setup();
    const byId = cluster.apply(upjetEndpoint({ name: "by-id", awsId: VPCE }));
    const byRef = cluster.apply(upjetEndpoint({ name: "by-ref" }));
    const a1 = cluster.apply(upjetRouteTableAssociation({ name: "a1", endpointId: VPCE }));
    const a2 = cluster.apply(upjetRouteTableAssociation({ name: "a2", endpointRef: "by-ref" }));
    expect(names(deps.dependentsOf(undefined, a1))).toEqual([key(byId)]);
    expect(names(deps.dependentsOf(a2, undefined))).toEqual([key(byRef)]);
  });

  it("rebuild() recovers the reverse indexes from the inventory alone", () => {
    const { cluster } = setup();
    const policy = cluster.apply(upjetBucketPolicy({ bucket: "b1", policy: denyUnlessEndpoint("b1", VPCE) }));
    const endpoint = cluster.apply(upjetEndpoint({ name: "e", awsId: VPCE }));
    const fresh = new DependencyIndex(cluster.inventory);
    expect(names(fresh.dependentsOf(undefined, endpoint))).toEqual([key(endpoint)]);
    fresh.rebuild();
    expect(names(fresh.dependentsOf(undefined, endpoint))).toEqual([key(endpoint), key(policy)].sort());
  });
});
