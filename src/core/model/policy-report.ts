/**
 * The wgpolicyk8s.io PolicyReport vocabulary: names, labels and shapes that the audit builds
 * (src/app/audit/policy-reports.ts) and the writers apply (src/platform/kube/).
 */
import type { ResourceRef } from "./types.js";

/** "" is the cluster scope (ClusterPolicyReport); anything else a namespace. */
export type ReportScope = string;
export const CLUSTER_SCOPE: ReportScope = "";

export const scopeOf = (ref: ResourceRef): ReportScope => ref.namespace ?? CLUSTER_SCOPE;

export const REPORT_API_GROUP = "wgpolicyk8s.io";
export const REPORT_API_VERSION = "v1alpha2";
export const REPORT_NAME = "s3-vpce-guard";
export const POLICY_NAME = "s3-vpce-guard";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "s3-vpce-guard";
export const HASH_ANNOTATION = "s3-vpce-guard.io/content-hash";
/** "3/8" on a report that is one of several shards of its namespace or kind. */
export const SHARD_ANNOTATION = "s3-vpce-guard.io/shard";
/**
 * Results per report at most (JSON bytes). etcd refuses objects over 1.5 MiB; staying under
 * half of that leaves room for metadata and managedFields, and keeps every list and watch
 * event of a report small enough for Policy Reporter and kubectl.
 */
export const DEFAULT_MAX_RESULTS_BYTES = 600_000;

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
  name: string;
  object: PolicyReportObject;
  /** Hash of summary + results: the writer applies only when it differs from the last write. */
  hash: string;
}
