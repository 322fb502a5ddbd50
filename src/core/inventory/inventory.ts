import type {
  Bucket,
  BucketPolicy,
  Endpoint,
  ModelObject,
  NamespaceInfo,
  RefValue,
  ResourceRef,
  RouteTableAssociation,
  SubnetAssociation,
} from "../model/types.js";
import { groupOf, objectKey } from "../model/refs.js";
import { intern } from "../util/intern.js";
import { matchesSelector } from "./labels.js";
import type { ExternalFacts } from "./aws-facts.js";

/**
 * Multi-map from an index key to object keys. Nearly every key (an endpoint id, a VPC, a bucket
 * name) names one object: that one is stored as a plain string, and a Set only once a second
 * object shares the key (a Set per key cost a check of 50k resources some 15 MB).
 */
class Index {
  private readonly map = new Map<string, string | Set<string>>();
  add(key: string | undefined, objectKey: string): void {
    if (key === undefined) return;
    const entry = this.map.get(key);
    if (entry === undefined) this.map.set(key, objectKey);
    else if (typeof entry !== "string") entry.add(objectKey);
    else if (entry !== objectKey) this.map.set(key, new Set([entry, objectKey]));
  }
  remove(key: string | undefined, objectKey: string): void {
    if (key === undefined) return;
    const entry = this.map.get(key);
    if (entry === undefined) return;
    if (typeof entry === "string") {
      if (entry === objectKey) this.map.delete(key);
      return;
    }
    entry.delete(objectKey);
    if (entry.size === 0) this.map.delete(key);
  }
  get(key: string): Iterable<string> {
    const entry = this.map.get(key);
    if (entry === undefined) return EMPTY;
    return typeof entry === "string" ? [entry] : entry;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}
const EMPTY: readonly string[] = [];

/** Where a reference points: same API group, the target kind, same namespace unless given. */
function refTargetKey(owner: ResourceRef, targetKind: string, ref: RefValue["ref"]): string | undefined {
  if (!ref) return undefined;
  const namespace = ref.namespace ?? owner.namespace ?? "";
  return `${groupOf(owner.apiVersion)}/${targetKind}/${namespace}/${ref.name}`;
}

export type IdStatus = "known" | "unknown" | "undetermined";

export type InventoryKind = "Endpoint" | "Bucket" | "BucketPolicy" | "RouteTableAssociation" | "SubnetAssociation" | "Namespace";

/**
 * The in-memory index of everything the cross-resource rules look at. It stores the
 * normalised model only (never whole CRs) and is fed incrementally: by the CLI from its
 * inputs, by informers in the webhook and reconciler.
 */
export class Inventory {
  private readonly objects = new Map<string, ModelObject>();
  private readonly endpointsByAwsId = new Index();
  private readonly endpointsByVpc = new Index();
  private readonly bucketsByName = new Index();
  private readonly policiesByBucketName = new Index();
  private readonly policiesByBucketRef = new Index();
  private readonly policiesBySelector = new Set<string>();
  private readonly rtasByEndpointId = new Index();
  private readonly rtasByEndpointRef = new Index();
  private readonly rtasBySelector = new Set<string>();
  private readonly counts = new Map<InventoryKind, number>();
  /** Set by the front door: true once every watched kind has been listed (or in the CLI). */
  complete = false;
  /** AWS facts for ids the cluster does not hold (AWS verification). */
  facts: ExternalFacts | undefined;

  get size(): number {
    return this.objects.size;
  }

  countsByKind(): ReadonlyMap<InventoryKind, number> {
    return this.counts;
  }

  get(ref: ResourceRef): ModelObject | undefined {
    return this.objects.get(objectKey(ref));
  }

  /** Adds or replaces an object; returns the previous version. */
  upsert(object: ModelObject): ModelObject | undefined {
    // Stored in the map and the indexes for as long as the object: one flat copy (see intern()).
    const key = intern(objectKey(object.ref));
    const previous = this.objects.get(key);
    if (previous === object) return previous;
    this.replace(key, previous, object);
    return previous;
  }

  private replace(key: string, previous: ModelObject | undefined, next: ModelObject): void {
    this.objects.set(key, next);
    this.reindex(key, previous, next);
  }

  remove(ref: ResourceRef): ModelObject | undefined {
    const key = objectKey(ref);
    const previous = this.objects.get(key);
    if (previous) {
      this.reindex(key, previous, undefined);
      this.objects.delete(key);
    }
    return previous;
  }

  /**
   * Runs `fn` with `object` in place of its stored version (admission of an UPDATE: rules
   * must not see the stale copy), then restores the stored one. Rules are synchronous, so
   * nothing else can observe the temporary state. An object the inventory does not hold
   * (CREATE) is not added: rules receive the subject itself, and look-ups compare objects by
   * key. Adding and removing the same key on every review would also leave deleted entries
   * in V8's hash chains that slow every later look-up of that key.
   */
  withObject<T>(object: ModelObject, fn: () => T): T {
    // Not interned as upsert's key is: the map keeps the stored key, and an index entry the
    // swap adds is gone again when fn returns.
    const key = objectKey(object.ref);
    const stored = this.objects.get(key);
    if (stored === undefined || stored === object) return fn();
    this.replace(key, stored, object);
    try {
      return fn();
    } finally {
      this.replace(key, object, stored);
    }
  }

  *all(): IterableIterator<ModelObject> {
    yield* this.objects.values();
  }

  *endpoints(): IterableIterator<Endpoint> {
    for (const o of this.objects.values()) if (o.type === "Endpoint") yield o;
  }

  *buckets(): IterableIterator<Bucket> {
    for (const o of this.objects.values()) if (o.type === "Bucket") yield o;
  }

  *bucketPolicies(): IterableIterator<BucketPolicy> {
    for (const o of this.objects.values()) if (o.type === "BucketPolicy") yield o;
  }

  namespace(name: string): NamespaceInfo | undefined {
    const o = this.objects.get(`/Namespace//${name}`);
    return o?.type === "Namespace" ? o : undefined;
  }

  endpointsWithAwsId(id: string): Endpoint[] {
    return this.typed(this.endpointsByAwsId.get(id), "Endpoint");
  }

  endpointsInVpc(vpcId: string): Endpoint[] {
    return this.typed(this.endpointsByVpc.get(vpcId), "Endpoint");
  }

  bucketsNamed(name: string): Bucket[] {
    return this.typed(this.bucketsByName.get(name), "Bucket");
  }

  /** Is this vpce id known, in the cluster or (with AWS verification) in AWS? */
  knowsEndpointId(id: string): boolean {
    return this.endpointIdStatus(id) === "known";
  }

  knowsVpcId(id: string): boolean {
    return this.vpcIdStatus(id) === "known";
  }

  /** "undetermined" while AWS verification has not yet listed the regions that could hold it. */
  endpointIdStatus(id: string): IdStatus {
    if (this.endpointsByAwsId.has(id)) return "known";
    if (!this.facts) return "unknown";
    if (this.facts.endpoint(id) !== undefined) return "known";
    return (this.facts.endpointAbsent?.(id) ?? true) ? "unknown" : "undetermined";
  }

  vpcIdStatus(id: string): IdStatus {
    if (this.endpointsByVpc.has(id)) return "known";
    if (!this.facts) return "unknown";
    if (this.facts.vpc(id) !== undefined) return "known";
    return (this.facts.vpcAbsent?.(id) ?? true) ? "unknown" : "undetermined";
  }

  /** Region of an endpoint id: from the cluster, else from AWS facts. */
  regionOfEndpointId(id: string): string | undefined {
    for (const e of this.endpointsWithAwsId(id)) if (e.region) return e.region.value;
    return this.facts?.endpoint(id)?.region;
  }

  regionOfVpc(id: string): string | undefined {
    for (const e of this.endpointsInVpc(id)) if (e.region) return e.region.value;
    return this.facts?.vpc(id)?.region ?? undefined;
  }

  /** The Endpoint a reference resolves to (association → endpoint). */
  resolveEndpoint(owner: ResourceRef, value: RefValue, labelsNamespace?: string): Endpoint[] {
    if (value.value) return this.endpointsWithAwsId(value.value);
    const refKey = refTargetKey(owner, "VPCEndpoint", value.ref);
    if (refKey) return this.typed([refKey], "Endpoint");
    if (value.selector) {
      const ns = value.selector.namespace ?? labelsNamespace ?? owner.namespace;
      return [...this.endpoints()].filter(
        (e) =>
          groupOf(e.ref.apiVersion) === groupOf(owner.apiVersion) &&
          (ns === null || e.ref.namespace === ns) &&
          matchesSelector(e.labels, { matchLabels: value.selector!.matchLabels }),
      );
    }
    return [];
  }

  /** The Bucket a BucketPolicy targets (by S3 name, by reference, by selector). */
  resolveBucket(policy: BucketPolicy): Bucket[] {
    const target = policy.bucket;
    if (target.value) return this.bucketsNamed(target.value);
    const refKey = refTargetKey(policy.ref, "Bucket", target.ref);
    if (refKey) return this.typed([refKey], "Bucket");
    if (target.selector) {
      const ns = target.selector.namespace ?? policy.ref.namespace;
      return [...this.buckets()].filter(
        (b) =>
          groupOf(b.ref.apiVersion) === groupOf(policy.ref.apiVersion) &&
          (ns === null || b.ref.namespace === ns) &&
          matchesSelector(b.labels, { matchLabels: target.selector!.matchLabels }),
      );
    }
    return [];
  }

  /** BucketPolicy objects that target this bucket. */
  policiesForBucket(bucket: Bucket): BucketPolicy[] {
    const keys = new Set<string>();
    if (bucket.name) for (const k of this.policiesByBucketName.get(bucket.name.value)) keys.add(k);
    for (const k of this.policiesByBucketRef.get(objectKey(bucket.ref))) keys.add(k);
    for (const k of this.policiesBySelector) {
      const p = this.objects.get(k);
      if (p?.type === "BucketPolicy" && selects(p.ref, p.bucket, bucket)) keys.add(k);
    }
    return this.typed(keys, "BucketPolicy");
  }

  /** Route-table associations that attach route tables to this endpoint. */
  routeTableAssociationsFor(endpoint: Endpoint): RouteTableAssociation[] {
    const keys = new Set<string>();
    if (endpoint.awsId) for (const k of this.rtasByEndpointId.get(endpoint.awsId)) keys.add(k);
    for (const k of this.rtasByEndpointRef.get(objectKey(endpoint.ref))) keys.add(k);
    for (const k of this.rtasBySelector) {
      const a = this.objects.get(k);
      if (a?.type === "RouteTableAssociation" && selects(a.ref, a.endpoint, endpoint)) {
        keys.add(k);
      }
    }
    return this.typed(keys, "RouteTableAssociation");
  }

  private typed<T extends ModelObject["type"]>(keys: Iterable<string>, type: T): Extract<ModelObject, { type: T }>[] {
    const out: Extract<ModelObject, { type: T }>[] = [];
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o?.type === type) out.push(o as Extract<ModelObject, { type: T }>);
    }
    return out;
  }

  /**
   * Moves an object's index entries from `before` to `after` (either may be absent),
   * touching only the entries that change: an update that keeps its ids costs nothing.
   */
  private reindex(key: string, before: ModelObject | undefined, after: ModelObject | undefined): void {
    if (before) this.counts.set(before.type, (this.counts.get(before.type) ?? 1) - 1);
    if (after) this.counts.set(after.type, (this.counts.get(after.type) ?? 0) + 1);
    const old = before ? this.indexEntries(before) : [];
    const next = after ? this.indexEntries(after) : [];
    const same = (a: IndexEntry, b: IndexEntry) => a[0] === b[0] && a[1] === b[1];
    for (const entry of old) if (!next.some((n) => same(n, entry))) removeEntry(entry, key);
    for (const entry of next) if (!old.some((o) => same(o, entry))) addEntry(entry, key);
  }

  /** Where an object is indexed: (index, key) pairs, or scan sets for selector-only references. */
  private indexEntries(o: ModelObject): IndexEntry[] {
    switch (o.type) {
      case "Endpoint":
        return [
          [this.endpointsByAwsId, o.awsId],
          [this.endpointsByVpc, o.vpc?.value],
        ];
      case "Bucket":
        return [[this.bucketsByName, o.name?.value]];
      case "BucketPolicy":
        return [
          [this.policiesByBucketName, o.bucket.value],
          [this.policiesByBucketRef, o.bucket.value ? undefined : refTargetKey(o.ref, "Bucket", o.bucket.ref)],
          [this.policiesBySelector, !o.bucket.value && !o.bucket.ref && o.bucket.selector ? SCAN : undefined],
        ];
      case "RouteTableAssociation":
        return [
          [this.rtasByEndpointId, o.endpoint.value],
          [this.rtasByEndpointRef, o.endpoint.value ? undefined : refTargetKey(o.ref, "VPCEndpoint", o.endpoint.ref)],
          [this.rtasBySelector, !o.endpoint.value && !o.endpoint.ref && o.endpoint.selector ? SCAN : undefined],
        ];
      case "SubnetAssociation":
      case "Namespace":
        return [];
    }
  }
}

/** An index and the value an object is filed under; scan sets (selectors) use SCAN. */
type IndexEntry = [Index | Set<string>, string | undefined];
const SCAN = "scan";

function addEntry([index, value]: IndexEntry, key: string): void {
  if (value === undefined) return;
  if (index instanceof Index) index.add(value, key);
  else index.add(key);
}

function removeEntry([index, value]: IndexEntry, key: string): void {
  if (value === undefined) return;
  if (index instanceof Index) index.remove(value, key);
  else index.delete(key);
}

/**
 * Does a selector-only reference pick this target? Matched against the target itself, so it
 * also works for an object under review that the inventory does not hold yet.
 */
function selects(owner: ResourceRef, value: RefValue, target: ModelObject): boolean {
  if (!value.selector || groupOf(target.ref.apiVersion) !== groupOf(owner.apiVersion)) return false;
  const namespace = value.selector.namespace ?? owner.namespace;
  if (namespace !== null && target.ref.namespace !== namespace) return false;
  return target.type !== "Namespace" && matchesSelector(target.labels, { matchLabels: value.selector.matchLabels });
}

export type { SubnetAssociation };
