/**
 * Which objects' audit verdicts can change when one object changes. Cross-resource rules
 * read the inventory in a few directions only:
 *
 * - a bucket policy (Bucket.policy or BucketPolicy) names endpoints by `aws:SourceVpce` and
 *   VPCs by `aws:SourceVpc` (cross-region, unknown-endpoint-reference, effective-access);
 * - a BucketPolicy reads its target Bucket's name and region;
 * - an endpoint policy names buckets by ARN (cross-region (c), effective-access), and reads
 *   those buckets' effective policies (their own or their BucketPolicies');
 * - an endpoint reads its route-table associations (gateway-without-route-tables).
 *
 * The inventory indexes the forward directions; this module keeps the reverse ones it
 * lacks (id → policies naming it, bucket name → endpoint policies naming it) and answers
 * "who depends on this change". The periodic full audit heals anything missed here.
 */
import { parseS3Arn } from "../../core/iam/index.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import { objectKey } from "../../core/model/refs.js";
import type { Bucket, BucketPolicy, Endpoint, ModelObject, ResourceRef } from "../../core/model/types.js";
import { conditionsOnKey } from "../../core/iam/policy-query.js";
import { hasWildcard } from "../../core/iam/wildcard.js";

/** Model types the audit reviews; the others only feed cross-resource rules. */
export function isAuditSubject(o: ModelObject): o is Endpoint | Bucket | BucketPolicy {
  return (o.type === "Endpoint" && o.isS3) || o.type === "Bucket" || o.type === "BucketPolicy";
}

class ReverseIndex {
  private readonly byValue = new Map<string, Set<string>>();
  private readonly byObject = new Map<string, readonly string[]>();

  set(objectKey: string, values: readonly string[]): void {
    this.delete(objectKey);
    if (values.length === 0) return;
    this.byObject.set(objectKey, values);
    for (const value of values) {
      let keys = this.byValue.get(value);
      if (!keys) this.byValue.set(value, (keys = new Set()));
      keys.add(objectKey);
    }
  }

  delete(objectKey: string): void {
    const values = this.byObject.get(objectKey);
    if (!values) return;
    this.byObject.delete(objectKey);
    for (const value of values) {
      const keys = this.byValue.get(value);
      keys?.delete(objectKey);
      if (keys?.size === 0) this.byValue.delete(value);
    }
  }

  get(value: string): ReadonlySet<string> {
    return this.byValue.get(value) ?? NONE;
  }

  clear(): void {
    this.byValue.clear();
    this.byObject.clear();
  }
}
const NONE: ReadonlySet<string> = new Set();

const conditionValues = (o: ModelObject, key: string): string[] => {
  if ((o.type !== "Bucket" && o.type !== "BucketPolicy") || !o.policy?.document) return [];
  return [...new Set(conditionsOnKey(o.policy.document, key).flatMap((hit) => hit.condition.values))];
};

/** Bucket names an endpoint policy grants by exact ARN (wildcard buckets are skipped by the rules too). */
const grantedBucketNames = (o: ModelObject): string[] => {
  if (o.type !== "Endpoint" || !o.policy?.document) return [];
  const names = new Set<string>();
  for (const statement of o.policy.document.statements) {
    for (const resource of statement.resource ?? []) {
      const arn = parseS3Arn(resource);
      if (arn && !hasWildcard(arn.bucket)) names.add(arn.bucket);
    }
  }
  return [...names];
};

/** A ref plus its inventory key; the audit queue holds these. */
export interface Dependent {
  key: string;
  ref: ResourceRef;
}

export class DependencyIndex {
  /** vpce id → keys of Buckets/BucketPolicies whose policy names it in aws:SourceVpce. */
  private readonly byEndpointId = new ReverseIndex();
  /** vpc id → keys of Buckets/BucketPolicies whose policy names it in aws:SourceVpc. */
  private readonly byVpcId = new ReverseIndex();
  /** S3 bucket name → keys of Endpoints whose policy grants it by ARN. */
  private readonly byGrantedBucket = new ReverseIndex();
  /** key → ref of every indexed object, to turn keys back into refs. */
  private readonly refs = new Map<string, ResourceRef>();

  constructor(private readonly inventory: Inventory) {}

  /** Rebuilds from the inventory (start, and every full audit, to heal any drift). */
  rebuild(): void {
    this.byEndpointId.clear();
    this.byVpcId.clear();
    this.byGrantedBucket.clear();
    this.refs.clear();
    for (const o of this.inventory.all()) this.record(o);
  }

  record(o: ModelObject): void {
    const key = objectKey(o.ref);
    this.refs.set(key, o.ref);
    this.byEndpointId.set(key, conditionValues(o, "aws:SourceVpce"));
    this.byVpcId.set(key, conditionValues(o, "aws:SourceVpc"));
    this.byGrantedBucket.set(key, grantedBucketNames(o));
  }

  forget(o: ModelObject): void {
    const key = objectKey(o.ref);
    this.refs.delete(key);
    this.byEndpointId.delete(key);
    this.byVpcId.delete(key);
    this.byGrantedBucket.delete(key);
  }

  /**
   * The audit subjects whose verdict may change because `before` became `after` (either
   * may be absent: create, delete). Includes the changed object itself when it is an
   * audit subject. Call after the inventory holds `after` (or no longer holds `before`).
   */
  dependentsOf(before: ModelObject | undefined, after: ModelObject | undefined): Dependent[] {
    const out = new Map<string, ResourceRef>();
    const add = (ref: ResourceRef) => out.set(objectKey(ref), ref);
    const addKeys = (keys: Iterable<string>) => {
      for (const key of keys) {
        const ref = this.refs.get(key);
        if (ref) out.set(key, ref);
      }
    };
    for (const o of [before, after]) {
      if (!o) continue;
      if (isAuditSubject(o)) add(o.ref);
      switch (o.type) {
        case "Endpoint":
          if (o.awsId) addKeys(this.byEndpointId.get(o.awsId));
          if (o.vpc?.value) addKeys(this.byVpcId.get(o.vpc.value));
          break;
        case "Bucket":
          for (const p of this.inventory.policiesForBucket(o)) add(p.ref);
          if (o.name) addKeys(this.byGrantedBucket.get(o.name.value));
          break;
        case "BucketPolicy": {
          const names = new Set<string>();
          if (o.bucket.value) names.add(o.bucket.value);
          for (const b of this.inventory.resolveBucket(o)) {
            add(b.ref);
            if (b.name) names.add(b.name.value);
          }
          for (const name of names) addKeys(this.byGrantedBucket.get(name));
          break;
        }
        case "RouteTableAssociation":
          for (const e of this.inventory.resolveEndpoint(o.ref, o.endpoint)) add(e.ref);
          break;
        case "SubnetAssociation":
        case "Namespace":
          // No audited rule reads subnet associations. A namespace's default region changes
          // ACK objects' regions: ClusterInventory relists them, so they arrive as changes.
          break;
      }
    }
    // An endpoint that stopped being an S3 endpoint is queued through `before`: the audit
    // then finds it is no longer a subject and drops its result.
    return [...out].map(([key, ref]) => ({ key, ref }));
  }
}
