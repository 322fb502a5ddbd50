/**
 * The current audit findings per object: the single source of truth from which the
 * PolicyReports, the Events and the violations gauge are derived. Nothing downstream
 * accumulates state of its own about violations, so restarts, relists and leader changes
 * cannot double-count.
 */
import type { Finding } from "../../core/model/findings.js";
import type { ResourceRef } from "../../core/model/types.js";

import { CLUSTER_SCOPE, scopeOf, type ReportScope } from "../../core/model/policy-report.js";

export { CLUSTER_SCOPE, scopeOf, type ReportScope };

/** Identity of one finding across re-evaluations (same rule, field and message). */
export const findingId = (f: Finding): string => `${f.rule}\u0000${f.path}\u0000${f.message}`;

export interface StoredFinding extends Finding {
  /** When this finding was first seen (ms since epoch); stable while it persists. */
  since: number;
}

export interface ObjectResult {
  /** The audited object. */
  ref: ResourceRef;
  findings: readonly StoredFinding[];
}

export interface ViolationSample {
  labels: { rule: string; action: string; kind: string; namespace: string };
  value: number;
}

const sameFindings = (a: readonly StoredFinding[], b: readonly Finding[]): boolean =>
  a.length === b.length && a.every((f, i) => findingId(f) === findingId(b[i]!) && f.action === b[i]!.action && f.fix === b[i]!.fix);

export class ResultStore {
  private readonly byScope = new Map<ReportScope, Map<string, ObjectResult>>();
  private readonly scopeOfKey = new Map<string, ReportScope>();
  private readonly dirty = new Set<ReportScope>();
  private version = 0;

  /** Bumped on every change; cheap "did anything change since" checks. */
  get generation(): number {
    return this.version;
  }

  get size(): number {
    return this.scopeOfKey.size;
  }

  /** Records the findings of one audited object; returns whether anything changed. */
  set(key: string, ref: ResourceRef, findings: readonly Finding[], now = Date.now()): boolean {
    const scope = scopeOf(ref);
    const previousScope = this.scopeOfKey.get(key);
    if (previousScope !== undefined && previousScope !== scope) this.delete(key);
    const entries = this.entriesOf(scope, true);
    const previous = entries.get(key);
    if (previous && sameFindings(previous.findings, findings) && previous.ref.uid === ref.uid) return false;
    const since = new Map(previous?.findings.map((f) => [findingId(f), f.since]));
    entries.set(key, { ref, findings: findings.map((f) => ({ ...f, since: since.get(findingId(f)) ?? now })) });
    this.scopeOfKey.set(key, scope);
    this.touch(scope);
    return true;
  }

  /** The object is gone (or no longer audited); returns whether it had a result. */
  delete(key: string): boolean {
    const scope = this.scopeOfKey.get(key);
    if (scope === undefined) return false;
    this.scopeOfKey.delete(key);
    const entries = this.byScope.get(scope);
    entries?.delete(key);
    if (entries?.size === 0) this.byScope.delete(scope);
    this.touch(scope);
    return true;
  }

  has(key: string): boolean {
    return this.scopeOfKey.has(key);
  }

  get(key: string): ObjectResult | undefined {
    const scope = this.scopeOfKey.get(key);
    return scope === undefined ? undefined : this.byScope.get(scope)?.get(key);
  }

  keys(): IterableIterator<string> {
    return this.scopeOfKey.keys();
  }

  /** Audited objects of one scope (empty when none are left: the report should go). */
  entries(scope: ReportScope): Iterable<ObjectResult> {
    return this.byScope.get(scope)?.values() ?? [];
  }

  scopes(): IterableIterator<ReportScope> {
    return this.byScope.keys();
  }

  /** Scopes changed since the last call; the report writer drains this. */
  takeDirtyScopes(): ReportScope[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  /** Marks scopes for rewriting (a failed write, a new leader). */
  markDirty(scopes: Iterable<ReportScope>): void {
    for (const s of scopes) this.dirty.add(s);
  }

  *allFindings(): IterableIterator<{ ref: ResourceRef; finding: StoredFinding }> {
    for (const entries of this.byScope.values()) {
      for (const { ref, findings } of entries.values()) for (const finding of findings) yield { ref, finding };
    }
  }

  /** The violations gauge's samples: findings counted by rule, action, kind and namespace. */
  violationSamples(): ViolationSample[] {
    const counts = new Map<string, ViolationSample>();
    for (const { finding } of this.allFindings()) {
      const labels = {
        rule: finding.rule,
        action: finding.action,
        kind: finding.resource.kind,
        namespace: finding.resource.namespace ?? "",
      };
      const id = `${labels.rule}\u0000${labels.action}\u0000${labels.kind}\u0000${labels.namespace}`;
      const sample = counts.get(id);
      if (sample) sample.value++;
      else counts.set(id, { labels, value: 1 });
    }
    return [...counts.values()];
  }

  clear(): void {
    for (const scope of this.byScope.keys()) this.touch(scope);
    this.byScope.clear();
    this.scopeOfKey.clear();
  }

  private entriesOf(scope: ReportScope, create: boolean): Map<string, ObjectResult> {
    let entries = this.byScope.get(scope);
    if (!entries && create) this.byScope.set(scope, (entries = new Map()));
    return entries ?? new Map();
  }

  private touch(scope: ReportScope): void {
    this.dirty.add(scope);
    this.version++;
  }
}
