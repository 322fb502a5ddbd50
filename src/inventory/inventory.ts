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
import { matchesSelector } from "./labels.js";
import type { ExternalFacts } from "./facts.js";

/** Multi-map from an index key to object keys. */
class Index {
  private readonly map = new Map<string, Set<string>>();
  add(key: string | undefined, objectKey: string): void {
    if (key === undefined) return;
    let set = this.map.get(key);
    if (!set) this.map.set(key, (set = new Set()));
    set.add(objectKey);
  }
  remove(key: string | undefined, objectKey: string): void {
    if (key === undefined) return;
    const set = this.map.get(key);
    if (!set) return;
    set.delete(objectKey);
    if (set.size === 0) this.map.delete(key);
  }
  get(key: string): ReadonlySet<string> {
    return this.map.get(key) ?? EMPTY;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}
const EMPTY: ReadonlySet<string> = new Set();

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
    const key = objectKey(object.ref);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, object);
    this.index(key, object);
    return previous;
  }

  remove(ref: ResourceRef): ModelObject | undefined {
    const key = objectKey(ref);
    const previous = this.objects.get(key);
    if (previous) {
      this.unindex(key, previous);
      this.objects.delete(key);
    }
    return previous;
  }

  /**
   * Runs `fn` with `object` in place of its stored version (admission: rules must see the
   * object under review, not the stored one), then restores the inventory. Rules are
   * synchronous, so nothing else can observe the temporary state.
   */
  withObject<T>(object: ModelObject, fn: () => T): T {
    const previous = this.upsert(object);
    try {
      return fn();
    } finally {
      if (previous) this.upsert(previous);
      else this.remove(object.ref);
    }
  }

  /** Likewise, with an object absent (admission of a DELETE). */
  withoutObject<T>(ref: ResourceRef, fn: () => T): T {
    const previous = this.remove(ref);
    try {
      return fn();
    } finally {
      if (previous) this.upsert(previous);
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
    if (refKey) return this.typed(new Set([refKey]), "Endpoint");
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
    if (refKey) return this.typed(new Set([refKey]), "Bucket");
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
      if (p?.type === "BucketPolicy" && this.resolveBucket(p).some((b) => b === bucket)) keys.add(k);
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
      if (a?.type === "RouteTableAssociation" && this.resolveEndpoint(a.ref, a.endpoint).some((e) => e === endpoint)) {
        keys.add(k);
      }
    }
    return this.typed(keys, "RouteTableAssociation");
  }

  private typed<T extends ModelObject["type"]>(keys: ReadonlySet<string>, type: T): Extract<ModelObject, { type: T }>[] {
    const out: Extract<ModelObject, { type: T }>[] = [];
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o?.type === type) out.push(o as Extract<ModelObject, { type: T }>);
    }
    return out;
  }

  private index(key: string, o: ModelObject): void {
    this.counts.set(o.type, (this.counts.get(o.type) ?? 0) + 1);
    this.forEachIndexEntry(key, o, (index, value) => index.add(value, key), (set) => set.add(key));
  }

  private unindex(key: string, o: ModelObject): void {
    this.counts.set(o.type, (this.counts.get(o.type) ?? 1) - 1);
    this.forEachIndexEntry(key, o, (index, value) => index.remove(value, key), (set) => set.delete(key));
  }

  private forEachIndexEntry(
    key: string,
    o: ModelObject,
    onIndex: (index: Index, value: string | undefined) => void,
    onScanSet: (set: Set<string>) => void,
  ): void {
    switch (o.type) {
      case "Endpoint":
        onIndex(this.endpointsByAwsId, o.awsId);
        onIndex(this.endpointsByVpc, o.vpc?.value);
        break;
      case "Bucket":
        onIndex(this.bucketsByName, o.name?.value);
        break;
      case "BucketPolicy":
        onIndex(this.policiesByBucketName, o.bucket.value);
        onIndex(this.policiesByBucketRef, o.bucket.value ? undefined : refTargetKey(o.ref, "Bucket", o.bucket.ref));
        if (!o.bucket.value && !o.bucket.ref && o.bucket.selector) onScanSet(this.policiesBySelector);
        break;
      case "RouteTableAssociation":
        onIndex(this.rtasByEndpointId, o.endpoint.value);
        onIndex(this.rtasByEndpointRef, o.endpoint.value ? undefined : refTargetKey(o.ref, "VPCEndpoint", o.endpoint.ref));
        if (!o.endpoint.value && !o.endpoint.ref && o.endpoint.selector) onScanSet(this.rtasBySelector);
        break;
      case "SubnetAssociation":
      case "Namespace":
        break;
    }
    void key;
  }
}

export type { SubnetAssociation };
