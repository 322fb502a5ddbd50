/**
 * Audit results as `wgpolicyk8s.io/v1alpha2` reports, in a layout where no result is ever
 * left out (README "Reliability"):
 * - namespaced objects: one PolicyReport `s3-vpce-guard` per namespace; a namespace whose
 *   results would not fit one report is split into `s3-vpce-guard-1-of-N` … `-N-of-N`;
 * - cluster-scoped objects: one ClusterPolicyReport per kind,
 *   `s3-vpce-guard-<kind>.<api group>` (e.g. `s3-vpce-guard-bucket.s3.aws.upbound.io`), split
 *   the same way into `s3-vpce-guard-<kind>-1-of-N.<api group>` when it would not fit.
 * An object goes to shard `fnv1a(objectKey) mod N` (N a power of two, the smallest for which
 * every shard's results stay under `maxResultsBytes`): names and placement are a function of
 * the results alone, so any leader computes the same set, and doubling N splits each shard
 * in two instead of reshuffling everything.
 *
 * Content choices (documented in the README):
 * - result: deny → `fail`; warn and audit → `warn` (README "Rules": deny reports as fail, warn
 *   as warn; an audit-action finding is a warning with `properties.action: audit`).
 * - severity: deny → high, warn → medium, audit → low.
 * - Clean objects are not listed one by one: `summary.pass` counts the audited objects
 *   without any finding (in the shard the object hashes to).
 * - A scope with no audited object left has its reports deleted; a scope whose objects are
 *   all clean keeps a report with `fail: 0, warn: 0` (coverage is visible).
 */
import { sha256Hex } from "../../core/util/sha256.js";
import type { Finding } from "../../core/model/findings.js";
import { groupOf, objectKey } from "../../core/model/refs.js";
import type { ResourceRef } from "../../core/model/types.js";
import {
  CLUSTER_SCOPE,
  DEFAULT_MAX_RESULTS_BYTES,
  HASH_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  POLICY_NAME,
  REPORT_API_GROUP,
  REPORT_API_VERSION,
  REPORT_NAME,
  SHARD_ANNOTATION,
  type BuiltReport,
  type PolicyReportObject,
  type PolicyReportResult,
  type ReportObjectReference,
  type ReportResultStatus,
  type ReportScope,
  type ReportSeverity,
  type ReportSummary,
} from "../../core/model/policy-report.js";
import type { ObjectResult, StoredFinding } from "./results.js";

export * from "../../core/model/policy-report.js";

/** A bound on the split, for a pathological scope (each shard still holds ≥ 1 object). */
const MAX_SHARDS = 1024;

const RESULT_OF: Record<Finding["action"], ReportResultStatus> = { deny: "fail", warn: "warn", audit: "warn" };
const SEVERITY_OF: Record<Finding["action"], ReportSeverity> = { deny: "high", warn: "medium", audit: "low" };
const ACTION_RANK: Record<Finding["action"], number> = { deny: 0, warn: 1, audit: 2 };

export function objectReference(ref: ResourceRef): ReportObjectReference {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    ...(ref.uid ? { uid: ref.uid } : {}),
  };
}

export function reportResult(finding: StoredFinding): PolicyReportResult {
  return {
    source: POLICY_NAME,
    policy: POLICY_NAME,
    rule: finding.rule,
    category: "Endpoints for Amazon S3",
    result: RESULT_OF[finding.action],
    severity: SEVERITY_OF[finding.action],
    scored: true,
    message: finding.message,
    timestamp: { seconds: Math.floor(finding.since / 1000), nanos: 0 },
    resources: [objectReference(finding.resource)],
    properties: { action: finding.action, path: finding.path, fix: finding.fix, guide: finding.guide },
  };
}

const sortKey = (f: StoredFinding): string =>
  `${ACTION_RANK[f.action]}\u0000${f.resource.kind}\u0000${f.resource.name}\u0000${f.rule}\u0000${f.path}\u0000${f.message}`;

export interface BuildOptions {
  maxResultsBytes?: number;
}

/** 32-bit FNV-1a: a stable, cheap spread of object keys over shards (not a security hash). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Lower-case DNS-subdomain-safe text (kinds and API groups already are, apart from case). */
const dnsSafe = (text: string): string => text.toLowerCase().replace(/[^a-z0-9.-]/g, "-");

/**
 * Which reports a scope's objects go to before splitting: the namespace's report, or for
 * cluster-scoped objects one per kind. `prefix`/`suffix` surround the shard marker in names.
 */
interface ReportGroup {
  prefix: string;
  suffix: string;
  entries: ObjectResult[];
}

function groupsOf(scope: ReportScope, entries: Iterable<ObjectResult>): Map<string, ReportGroup> {
  const groups = new Map<string, ReportGroup>();
  for (const entry of entries) {
    const id = scope === CLUSTER_SCOPE ? `${groupOf(entry.ref.apiVersion)}/${entry.ref.kind}` : "";
    let group = groups.get(id);
    if (!group) {
      group =
        scope === CLUSTER_SCOPE
          ? {
              prefix: `${REPORT_NAME}-${dnsSafe(entry.ref.kind)}`,
              suffix: `.${dnsSafe(groupOf(entry.ref.apiVersion) || "core")}`,
              entries: [],
            }
          : { prefix: REPORT_NAME, suffix: "", entries: [] };
      groups.set(id, group);
    }
    group.entries.push(entry);
  }
  return groups;
}

/** The name of shard `index` (0-based) of `count`: the group's plain name when unsplit. */
export function shardName(prefix: string, suffix: string, index: number, count: number): string {
  return count === 1 ? `${prefix}${suffix}` : `${prefix}-${index + 1}-of-${count}${suffix}`;
}

interface PreparedEntry {
  entry: ObjectResult;
  hash: number;
  results: Array<{ key: string; result: PolicyReportResult; bytes: number }>;
  bytes: number;
}

function prepare(entry: ObjectResult): PreparedEntry {
  let bytes = 0;
  const results = entry.findings.map((f) => {
    const result = reportResult(f);
    const size = JSON.stringify(result).length + 1;
    bytes += size;
    return { key: sortKey(f), result, bytes: size };
  });
  return { entry, hash: fnv1a(objectKey(entry.ref)), results, bytes };
}

/** Smallest power of two N for which every shard's results fit `maxBytes` (bounded by MAX_SHARDS). */
export function shardCount(items: ReadonlyArray<{ hash: number; bytes: number }>, maxBytes: number): number {
  let total = 0;
  for (const item of items) total += item.bytes;
  let count = 1;
  while (count < total / maxBytes) count *= 2;
  for (; count < MAX_SHARDS; count *= 2) {
    const sizes = new Float64Array(count);
    let fits = true;
    for (const item of items) {
      const shard = item.hash % count;
      sizes[shard] = sizes[shard]! + item.bytes;
      if (sizes[shard]! > maxBytes) {
        fits = false;
        break;
      }
    }
    if (fits) return count;
  }
  return MAX_SHARDS;
}

function reportObject(scope: ReportScope, name: string, entries: readonly PreparedEntry[], shard: string | undefined): BuiltReport {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const keyed: Array<{ key: string; result: PolicyReportResult }> = [];
  for (const { entry, results } of entries) {
    if (entry.findings.length === 0) summary.pass++;
    for (const f of entry.findings) summary[RESULT_OF[f.action]]++;
    keyed.push(...results);
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const results = keyed.map((k) => k.result);
  // Without the results' timestamps (when this process first saw each finding): a new leader
  // sees the same findings later, and must not rewrite every report for that alone.
  const hash = sha256Hex(JSON.stringify({ name, summary, results: results.map(({ timestamp: _seen, ...rest }) => rest) })).slice(0, 32);
  const object: PolicyReportObject = {
    apiVersion: `${REPORT_API_GROUP}/${REPORT_API_VERSION}`,
    kind: scope === CLUSTER_SCOPE ? "ClusterPolicyReport" : "PolicyReport",
    metadata: {
      name,
      ...(scope === CLUSTER_SCOPE ? {} : { namespace: scope }),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: { [HASH_ANNOTATION]: hash, ...(shard ? { [SHARD_ANNOTATION]: shard } : {}) },
    },
    summary,
    results,
  };
  return { scope, name, object, hash };
}

/**
 * The reports of one scope from the current results of its audited objects: every result
 * in exactly one of them, none left out. Empty when the scope has no audited object.
 */
export function buildReports(scope: ReportScope, entries: Iterable<ObjectResult>, options: BuildOptions = {}): BuiltReport[] {
  const maxBytes = options.maxResultsBytes ?? DEFAULT_MAX_RESULTS_BYTES;
  const reports: BuiltReport[] = [];
  for (const group of groupsOf(scope, entries).values()) {
    const prepared = group.entries.map(prepare);
    const count = shardCount(prepared, maxBytes);
    const shards: PreparedEntry[][] = Array.from({ length: count }, () => []);
    for (const item of prepared) shards[item.hash % count]!.push(item);
    shards.forEach((shard, index) => {
      // An empty shard has no report: nothing to count, and its name is deleted if it existed.
      if (shard.length === 0) return;
      reports.push(
        reportObject(scope, shardName(group.prefix, group.suffix, index, count), shard, count > 1 ? `${index + 1}/${count}` : undefined),
      );
    });
  }
  return reports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
