/**
 * Every group/version/kind of the README's "Resources understood" that this product admits and watches, with what the
 * API server needs (plural, scope) and what the adapters need (family, model type).
 */
import type { Family, ModelType } from "./types.js";

/** One group/version/kind this product watches and admits. */
export interface WatchedKind {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural resource name for the API path and webhook rules. */
  plural: string;
  namespaced: boolean;
  family: Family;
  modelType: ModelType;
}

interface KindSpec {
  kind: string;
  plural: string;
  modelType: ModelType;
  versions: string[];
}

function kindsOf(group: string, family: Family, namespaced: boolean, specs: KindSpec[]): WatchedKind[] {
  return specs.flatMap((spec) =>
    spec.versions.map((version) => ({
      group,
      version,
      kind: spec.kind,
      plural: spec.plural,
      namespaced,
      family,
      modelType: spec.modelType,
    })),
  );
}

const VPC_ENDPOINT = { kind: "VPCEndpoint", plural: "vpcendpoints", modelType: "Endpoint" } as const;
const ROUTE_TABLE_ASSOCIATION = {
  kind: "VPCEndpointRouteTableAssociation",
  plural: "vpcendpointroutetableassociations",
  modelType: "RouteTableAssociation",
} as const;
const SUBNET_ASSOCIATION = {
  kind: "VPCEndpointSubnetAssociation",
  plural: "vpcendpointsubnetassociations",
  modelType: "SubnetAssociation",
} as const;
const BUCKET = { kind: "Bucket", plural: "buckets", modelType: "Bucket" } as const;
const BUCKET_POLICY = { kind: "BucketPolicy", plural: "bucketpolicies", modelType: "BucketPolicy" } as const;

export const WATCHED_KINDS: readonly WatchedKind[] = [
  // Upjet, cluster-scoped: VPCEndpoint and Bucket serve v1beta1 (deprecated) and v1beta2 (storage).
  ...kindsOf("ec2.aws.upbound.io", "upjet", false, [
    { ...VPC_ENDPOINT, versions: ["v1beta1", "v1beta2"] },
    { ...ROUTE_TABLE_ASSOCIATION, versions: ["v1beta1"] },
    { ...SUBNET_ASSOCIATION, versions: ["v1beta1"] },
  ]),
  ...kindsOf("s3.aws.upbound.io", "upjet", false, [
    { ...BUCKET, versions: ["v1beta1", "v1beta2"] },
    { ...BUCKET_POLICY, versions: ["v1beta1"] },
  ]),
  // Crossplane v2 namespaced Upjet groups: v1beta1 only.
  ...kindsOf("ec2.aws.m.upbound.io", "upjet-namespaced", true, [
    { ...VPC_ENDPOINT, versions: ["v1beta1"] },
    { ...ROUTE_TABLE_ASSOCIATION, versions: ["v1beta1"] },
    { ...SUBNET_ASSOCIATION, versions: ["v1beta1"] },
  ]),
  ...kindsOf("s3.aws.m.upbound.io", "upjet-namespaced", true, [
    { ...BUCKET, versions: ["v1beta1"] },
    { ...BUCKET_POLICY, versions: ["v1beta1"] },
  ]),
  // Community provider-aws.
  ...kindsOf("ec2.aws.crossplane.io", "community", false, [{ ...VPC_ENDPOINT, versions: ["v1alpha1"] }]),
  ...kindsOf("s3.aws.crossplane.io", "community", false, [
    { ...BUCKET, versions: ["v1beta1"] },
    { ...BUCKET_POLICY, versions: ["v1alpha3"] },
  ]),
  // ACK: the bucket policy lives on the Bucket itself.
  ...kindsOf("ec2.services.k8s.aws", "ack", true, [{ ...VPC_ENDPOINT, versions: ["v1alpha1"] }]),
  ...kindsOf("s3.services.k8s.aws", "ack", true, [{ ...BUCKET, versions: ["v1alpha1"] }]),
];

/** Kubernetes Namespaces are watched too (ACK default region), but belong to no provider family. */
export const NAMESPACE_KIND = { group: "", version: "v1", kind: "Namespace", plural: "namespaces" } as const;

// By apiVersion, then kind: a lookup hashes the two strings as they came (V8 keeps a string's
// hash with it) instead of a new string joined from them for every object read.
const byApiVersionAndKind = new Map<string, Map<string, WatchedKind>>();
for (const watched of WATCHED_KINDS) {
  const apiVersion = `${watched.group}/${watched.version}`;
  const byKind = byApiVersionAndKind.get(apiVersion) ?? new Map<string, WatchedKind>();
  byKind.set(watched.kind, watched);
  byApiVersionAndKind.set(apiVersion, byKind);
}

/** The watched kind for an object's apiVersion ("group/version") and kind, if we check it. */
export function findKind(apiVersion: string, kind: string): WatchedKind | undefined {
  return byApiVersionAndKind.get(apiVersion)?.get(kind);
}

/** True when the group/kind is ours but the version is not one we know (e.g. a future v1beta3). */
export function isKnownGroupKind(apiVersion: string, kind: string): boolean {
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  return WATCHED_KINDS.some((k) => k.group === group && k.kind === kind);
}

export function apiVersionOf(kind: WatchedKind): string {
  return `${kind.group}/${kind.version}`;
}
