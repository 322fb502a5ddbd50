/**
 * What the background audit needs from the outside world, as interfaces: the cluster's
 * objects, somewhere to write reports and events, an election, metrics and a log. The
 * Kubernetes implementations live in src/platform/kube/ and are wired in src/cli/.
 */
import type { Finding } from "../../core/model/findings.js";
import type { InventoryChange } from "../../core/inventory/change.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import type { BuiltReport, ReportScope } from "../../core/model/policy-report.js";
import type { ResourceRef } from "../../core/model/types.js";

type LogFn = (fields: object, message: string) => void;
/** The structured log the audit writes to (pino's Logger fits). */
export interface AuditLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: { component: string }): AuditLogger;
}

/** The cluster's objects, kept current (platform/kube ClusterInventory). */
export interface InventoryFeed {
  readonly inventory: Inventory;
  readonly synced: Promise<void>;
  onChange(listener: (change: InventoryChange) => void): () => void;
  start(): void;
}

export type ReportWriteOutcome = { written: number; deleted: number } | "unavailable";

/** Where PolicyReports go (platform/kube PolicyReportWriter). */
export interface ReportStore {
  /** Forget what was written: the next sync compares with the server again. */
  reset(): void;
  /** Scopes that have reports of ours now; undefined when the report CRDs are not installed. */
  existingScopes(): Promise<ReportScope[] | undefined>;
  sync(scope: ReportScope, reports: readonly BuiltReport[]): Promise<ReportWriteOutcome>;
}

/** Where Events about findings go (platform/kube EventRecorder). */
export interface FindingEvents {
  observe(ref: ResourceRef, findings: readonly Finding[]): void;
  forget(ref: ResourceRef): void;
  stop(): void;
  resume(): void;
  reset(): void;
}

export interface LeadershipCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/** Leader election (platform/kube LeaderElector). */
export interface Election {
  start(): void;
  stop(options?: { releaseLease?: boolean }): Promise<void>;
}

type Labels = Record<string, string | number>;
/** The audit's metrics (prom-client's fit; names live in src/platform/telemetry/metrics.ts). */
export interface AuditMetrics {
  violations: { reset(): void; set(labels: Labels, value: number): void };
  undecided: { inc(labels: { rule: string }): void };
  leader: { set(value: number): void };
  auditDuration: { observe(seconds: number): void };
  auditLastSuccess: { setToCurrentTime(): void };
}

/** How a failed write is counted and described (HTTP status labels, a reason for the log). */
export interface WriteErrors {
  count(error: unknown): void;
  reason(error: unknown): string;
}
