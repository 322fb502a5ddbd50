/**
 * Audit results as `wgpolicyk8s.io/v1alpha2` reports: one PolicyReport named
 * `s3-vpce-guard` per namespace holding audited objects, and one ClusterPolicyReport named
 * `s3-vpce-guard` for cluster-scoped objects.
 *
 * Content choices (documented in the README):
 * - result: deny → `fail`; warn and audit → `warn` (SPEC §2: deny "reports as fail", warn
 *   "as warn"; an audit-action finding is a warning with `properties.action: audit`).
 * - severity: deny → high, warn → medium, audit → low.
 * - Clean objects are not listed one by one: `summary.pass` counts the audited objects
 *   without any finding. Listing them would put 10,000 entries into one object and
 *   push large namespaces past etcd's 1.5 MiB limit, for no information a count lacks.
 * - A scope with no audited object left has its report deleted; a scope whose objects are
 *   all clean keeps a report with `fail: 0, warn: 0` (coverage is visible).
 * - Results are capped at `maxBytes` of JSON (fails first); the summary still counts all,
 *   and the annotation `s3-vpce-guard.io/omitted-results` says how many were left out.
 */
import { createHash } from "node:crypto";
import type { Finding } from "../model/findings.js";
import type { ResourceRef } from "../model/types.js";
import { CLUSTER_SCOPE, type ObjectResult, type ReportScope, type StoredFinding } from "./results.js";

export const REPORT_API_GROUP = "wgpolicyk8s.io";
export const REPORT_API_VERSION = "v1alpha2";
export const REPORT_NAME = "s3-vpce-guard";
export const POLICY_NAME = "s3-vpce-guard";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "s3-vpce-guard";
export const HASH_ANNOTATION = "s3-vpce-guard.io/content-hash";
export const OMITTED_ANNOTATION = "s3-vpce-guard.io/omitted-results";
/** Below etcd's 1.5 MiB object limit with room for metadata and managedFields. */
export const DEFAULT_MAX_RESULTS_BYTES = 1_000_000;

export type ReportResultStatus = "pass" | "fail" | "warn" | "error" | "skip";
export type ReportSeverity = "critical" | "high" | "medium" | "low" | "info";

export interface ReportObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export interface PolicyReportResult {
  source: string;
  policy: string;
  rule: string;
  category: string;
  result: ReportResultStatus;
  severity: ReportSeverity;
  scored: boolean;
  message: string;
  timestamp: { seconds: number; nanos: number };
  resources: ReportObjectReference[];
  properties: Record<string, string>;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReportObject {
  apiVersion: string;
  kind: "PolicyReport" | "ClusterPolicyReport";
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  summary: ReportSummary;
  results: PolicyReportResult[];
}

export interface BuiltReport {
  scope: ReportScope;
  object: PolicyReportObject;
  /** Hash of summary + results: the writer applies only when it differs from the last write. */
  hash: string;
}

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

/** The report for one scope from the current results of its audited objects. */
export function buildReport(scope: ReportScope, entries: Iterable<ObjectResult>, options: BuildOptions = {}): BuiltReport {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const findings: StoredFinding[] = [];
  for (const entry of entries) {
    if (entry.findings.length === 0) summary.pass++;
    for (const f of entry.findings) {
      findings.push(f);
      summary[RESULT_OF[f.action]]++;
    }
  }
  const keyed = findings.map((f) => ({ f, key: sortKey(f) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const maxBytes = options.maxResultsBytes ?? DEFAULT_MAX_RESULTS_BYTES;
  const results: PolicyReportResult[] = [];
  let bytes = 0;
  for (const { f } of keyed) {
    const result = reportResult(f);
    bytes += JSON.stringify(result).length + 1;
    if (bytes > maxBytes) break;
    results.push(result);
  }
  const omitted = findings.length - results.length;
  const hash = createHash("sha256").update(JSON.stringify({ summary, results, omitted })).digest("hex").slice(0, 32);
  const object: PolicyReportObject = {
    apiVersion: `${REPORT_API_GROUP}/${REPORT_API_VERSION}`,
    kind: scope === CLUSTER_SCOPE ? "ClusterPolicyReport" : "PolicyReport",
    metadata: {
      name: REPORT_NAME,
      ...(scope === CLUSTER_SCOPE ? {} : { namespace: scope }),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: { [HASH_ANNOTATION]: hash, ...(omitted > 0 ? { [OMITTED_ANNOTATION]: String(omitted) } : {}) },
    },
    summary,
    results,
  };
  return { scope, object, hash };
}
