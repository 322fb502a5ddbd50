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

/**
 * Path of a field inside a policy, prefixed by the CR field that carries the policy. A
 * structured policy names the manifest's own field (`spec.forProvider.policy.statements[0]…`):
 * the longest rendered path it has a source for is replaced, the rest kept.
 */
export function policyPath(field: Pick<PolicyField, "path" | "sourcePaths">, inner: string): string {
  if (!inner) return field.path;
  const sources = field.sourcePaths;
  if (sources) {
    for (let end = inner.length; end > 0; end -= 1) {
      const source = sources[inner.slice(0, end)];
      if (source !== undefined && (end === inner.length || inner[end] === "." || inner[end] === "["))
        return `${field.path}.${source}${inner.slice(end)}`;
    }
  }
  return `${field.path} → ${inner}`;
}
