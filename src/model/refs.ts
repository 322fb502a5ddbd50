import type { PolicyField, ResourceRef } from "./types.js";

/** "VPCEndpoint team-a/s3-gateway" or "Bucket my-bucket" (cluster-scoped). */
export function describeRef(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** The API group of an apiVersion ("ec2.aws.upbound.io/v1beta2" → "ec2.aws.upbound.io"; "v1" → ""). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * Identity of an object across served versions: v1beta1 and v1beta2 of the same Upjet
 * object are one object in etcd, so the version is not part of the key.
 */
export function objectKey(ref: ResourceRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** Path of a field inside a policy, prefixed by the CR field that carries the policy. */
export function policyPath(field: PolicyField, inner: string): string {
  return inner ? `${field.path} → ${inner}` : field.path;
}
