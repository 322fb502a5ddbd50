import type { Inventory } from "../inventory/inventory.js";
import type { Bucket, BucketPolicy, Endpoint, ModelObject, PolicyField } from "../model/types.js";

/** A policy carried by the subject, and what it is attached to. */
export interface PolicyView {
  field: PolicyField;
  kind: "endpoint" | "bucket";
}

/**
 * The policies that the subject itself carries. Findings about policy contents are
 * reported against the object that carries the policy (README "Resources understood"), so a BucketPolicy's
 * contents are never reported again on its Bucket.
 */
export function carriedPolicies(subject: ModelObject): PolicyView[] {
  switch (subject.type) {
    case "Endpoint":
      return subject.isS3 && subject.policy ? [{ field: subject.policy, kind: "endpoint" }] : [];
    case "Bucket":
    case "BucketPolicy":
      return subject.policy ? [{ field: subject.policy, kind: "bucket" }] : [];
    default:
      return [];
  }
}

/** A bucket policy together with its bucket (resolved through the inventory when it can be). */
export interface BucketPolicyView {
  field: PolicyField;
  /** The Bucket object, when the inventory knows it. */
  bucket: Bucket | undefined;
  /** The S3 bucket name, when known. */
  bucketName: string | undefined;
  /** Region of the bucket: the Bucket object's, else the BucketPolicy's own region field. */
  bucketRegion: string | undefined;
}

export function bucketPolicyView(subject: Bucket | BucketPolicy, inventory: Inventory): BucketPolicyView | undefined {
  if (!subject.policy) return undefined;
  if (subject.type === "Bucket") {
    return {
      field: subject.policy,
      bucket: subject,
      bucketName: subject.name?.value,
      bucketRegion: subject.region?.value,
    };
  }
  const targets = inventory.resolveBucket(subject);
  const bucket = targets.length === 1 ? targets[0] : undefined;
  return {
    field: subject.policy,
    bucket,
    bucketName: bucket?.name?.value ?? subject.bucket.value,
    bucketRegion: bucket?.region?.value ?? subject.region?.value,
  };
}

/**
 * The policy in force on a bucket: its own, else the BucketPolicy objects that target it.
 * Undefined when the bucket has no policy.
 */
export function effectiveBucketPolicies(bucket: Bucket, inventory: Inventory): PolicyField[] {
  if (bucket.policy) return [bucket.policy];
  return inventory
    .policiesForBucket(bucket)
    .map((p) => p.policy)
    .filter((p): p is PolicyField => p !== undefined);
}

export function isS3Endpoint(o: ModelObject): o is Endpoint {
  return o.type === "Endpoint" && o.isS3;
}

export function isGateway(e: Endpoint): boolean {
  return e.endpointType.value.toLowerCase() === "gateway";
}
