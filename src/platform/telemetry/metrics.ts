/**
 * Every Prometheus metric of the product (the ones the README's "Alerts and runbook" and docs/runbook.md query), with exactly its names and
 * labels. This is the one file where metric names live: front doors receive a `Metrics`
 * object and never create metrics themselves.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { WATCHED_KINDS } from "../../core/model/kinds.js";
import type { RequestOutcome } from "../aws/retry.js";
import type { Operation } from "../../core/model/types.js";

export type AdmissionDecision = "allowed" | "denied" | "warned" | "error";

export interface Metrics {
  readonly registry: Registry;
  readonly violations: Gauge<"rule" | "action" | "kind" | "namespace">;
  readonly admissionRequests: Counter<"kind" | "operation" | "decision">;
  readonly admissionDuration: Histogram<"kind" | "operation">;
  readonly admissionFindings: Counter<"rule" | "action">;
  readonly auditDuration: Histogram;
  readonly auditLastSuccess: Gauge;
  readonly inventoryResources: Gauge<"kind">;
  readonly watchRestarts: Counter<"kind" | "reason">;
  readonly awsRequests: Counter<"operation" | "outcome">;
  readonly leader: Gauge;
  readonly kubeWriteErrors: Counter<"resource" | "code">;
  readonly reviewLimitExceeded: Counter<"decision">;
  readonly undecided: Counter<"rule">;
}

/** What the reconciler writes to the API server, for s3_vpce_guard_kube_write_errors_total. */
export type KubeWriteResource = "policyreports" | "events" | "leases";

export interface MetricsOptions {
  /** Adds the default Node.js process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /**
   * Called on every scrape to report the inventory's size per kind, so the gauge is never
   * stale and nothing has to update it on the hot path.
   */
  inventoryCounts?: () => Iterable<readonly [kind: string, count: number]>;
}

/** Admission runs in milliseconds; the buckets resolve 0.5 ms … 2.5 s (the time budget). */
const ADMISSION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const AUDIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** A fresh registry with every metric of the product (one per process; tests make their own). */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const metrics = registerMetrics(options);
  zeroAlertedSeries(metrics);
  return metrics;
}

/** The operations the chart's webhook registers for (CONNECT is never sent to it). */
const WEBHOOK_OPERATIONS: readonly Operation[] = ["CREATE", "UPDATE", "DELETE"];
/** Every EC2 call of src/platform/aws/ec2-source.ts (test/metrics/metrics.test.ts keeps the two in step). */
export const EC2_OPERATIONS = ["DescribeVpcEndpoints", "DescribeVpcs", "DescribeRouteTables"] as const;
const FAILED_OUTCOMES: readonly Exclude<RequestOutcome, "success">[] = ["error", "throttled"];

/**
 * Counters that the alerts take a rate() of exist at 0 from start-up for every label set
 * we can know in advance. A counter series that appears only at its first increment starts
 * at 1, and rate() never counts that first step: a burst of webhook errors or a single
 * refresh of failing EC2 calls would not move the alert. docs/runbook.md says which alert
 * relies on what.
 */
function zeroAlertedSeries(metrics: Metrics): void {
  const kinds = new Set(WATCHED_KINDS.map((k) => k.kind));
  for (const kind of kinds) {
    for (const operation of WEBHOOK_OPERATIONS) metrics.admissionRequests.inc({ kind, operation, decision: "error" }, 0);
  }
  // Malformed, stalled and oversized requests (src/platform/http/webhook-server.ts).
  metrics.admissionRequests.inc({ kind: "unknown", operation: "unknown", decision: "error" }, 0);
  for (const operation of EC2_OPERATIONS) {
    for (const outcome of FAILED_OUTCOMES) metrics.awsRequests.inc({ operation, outcome }, 0);
  }
}

function registerMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const { inventoryCounts } = options;
  return {
    registry,
    violations: new Gauge({
      name: "s3_vpce_guard_violations",
      help: "Current findings from the last audit, by rule, action, kind and namespace.",
      labelNames: ["rule", "action", "kind", "namespace"],
      registers,
    }),
    admissionRequests: new Counter({
      name: "s3_vpce_guard_admission_requests_total",
      help: "AdmissionReview requests answered, by kind, operation and decision (allowed, denied, warned, error).",
      labelNames: ["kind", "operation", "decision"],
      registers,
    }),
    admissionDuration: new Histogram({
      name: "s3_vpce_guard_admission_duration_seconds",
      help: "Time to answer an AdmissionReview, from the request's arrival to the response.",
      labelNames: ["kind", "operation"],
      buckets: ADMISSION_BUCKETS,
      registers,
    }),
    admissionFindings: new Counter({
      name: "s3_vpce_guard_admission_findings_total",
      help: "Rule findings reported at admission, by rule and effective action.",
      labelNames: ["rule", "action"],
      registers,
    }),
    auditDuration: new Histogram({
      name: "s3_vpce_guard_audit_duration_seconds",
      help: "Duration of a full audit pass.",
      buckets: AUDIT_BUCKETS,
      registers,
    }),
    auditLastSuccess: new Gauge({
      name: "s3_vpce_guard_audit_last_success_timestamp_seconds",
      help: "Unix time of the last audit pass that completed.",
      registers,
    }),
    inventoryResources: new Gauge({
      name: "s3_vpce_guard_inventory_resources",
      help: "Objects held in the in-memory inventory, by model kind (Endpoint, Bucket, BucketPolicy, RouteTableAssociation, SubnetAssociation, Namespace).",
      labelNames: ["kind"],
      registers,
      collect() {
        if (!inventoryCounts) return;
        this.reset();
        for (const [kind, count] of inventoryCounts()) this.set({ kind }, count);
      },
    }),
    watchRestarts: new Counter({
      name: "s3_vpce_guard_watch_restarts_total",
      help: "Watches restarted, by kind and reason (error, expired, closed, stalled, crd-changed).",
      labelNames: ["kind", "reason"],
      registers,
    }),
    awsRequests: new Counter({
      name: "s3_vpce_guard_aws_requests_total",
      help: "AWS API calls, by operation and outcome.",
      labelNames: ["operation", "outcome"],
      registers,
    }),
    leader: new Gauge({
      name: "s3_vpce_guard_leader",
      help: "1 while this replica holds the leader lease, else 0.",
      registers,
    }),
    // Without it a missing RBAC grant or a failing API server shows
    // only in logs (audits still "succeed"), and nothing pages.
    kubeWriteErrors: new Counter({
      name: "s3_vpce_guard_kube_write_errors_total",
      help: "Failed writes to the Kubernetes API, by resource (policyreports, events, leases) and code (HTTP status, or network).",
      labelNames: ["resource", "code"],
      registers,
    }),
    // An object admitted (or denied) unchecked because its review
    // needed more than config limits.workSteps; with onExceeded "allow" this is the signal.
    reviewLimitExceeded: new Counter({
      name: "s3_vpce_guard_review_limit_exceeded_total",
      help: "Admission reviews ended unchecked by the work limit (config limits.workSteps), by the decision given (allowed, denied; config limits.onExceeded).",
      labelNames: ["decision"],
      registers,
    }),
    undecided: new Counter({
      name: "s3_vpce_guard_undecided_total",
      help: "Rule questions too large to answer within their work budget: the rule made no claim about them.",
      labelNames: ["rule"],
      registers,
    }),
  };
}
