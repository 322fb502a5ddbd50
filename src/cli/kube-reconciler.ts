/**
 * The background audit wired to a Kubernetes cluster: the app's Reconciler with the kube
 * report writer, event recorder and leader election of src/platform/kube/.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { BuildOptions } from "../app/audit/policy-reports.js";
import { Reconciler } from "../app/audit/reconciler.js";
import type { Config } from "../core/config.js";
import type { ClusterInventory } from "../platform/kube/cluster-inventory.js";
import { EventRecorder, type EventRecorderOptions } from "../platform/kube/events.js";
import { httpStatusLabel, reasonOf } from "../platform/kube/informer.js";
import { LeaderElector, type LeaseSettings } from "../platform/kube/leader.js";
import { PolicyReportWriter } from "../platform/kube/report-writer.js";
import type { Logger } from "../platform/telemetry/logging.js";
import type { KubeWriteResource, Metrics } from "../platform/telemetry/metrics.js";

export interface KubeReconcilerOptions {
  kubeConfig: KubeConfig;
  clusterInventory: ClusterInventory;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** This replica's name in the Lease and in Events. */
  identity: string;
  /** Lease settings; `false` = no election, this process always leads (single replica, tests). */
  lease: Omit<LeaseSettings, "identity"> | false;
  /** Overrides config `audit.interval` (tests). */
  auditIntervalMs?: number;
  /** Batch window for changes. Default 200 ms. */
  debounceMs?: number;
  events?: Omit<EventRecorderOptions, "identity">;
  reports?: BuildOptions;
}

export function createReconciler(options: KubeReconcilerOptions): Reconciler {
  const { kubeConfig, config, logger, metrics, identity, lease } = options;
  const countWriteError = (resource: KubeWriteResource) => (error: unknown) =>
    metrics.kubeWriteErrors.inc({ resource, code: httpStatusLabel(error) });
  const events = new EventRecorder(kubeConfig, logger, {
    mode: config.events.audit,
    ...options.events,
    identity,
    onWriteError: countWriteError("events"),
  });
  return new Reconciler({
    clusterInventory: options.clusterInventory,
    config,
    logger,
    metrics,
    reports: new PolicyReportWriter(kubeConfig, logger),
    reportErrors: { count: countWriteError("policyreports"), reason: reasonOf },
    events,
    ...(lease === false
      ? {}
      : {
          election: (callbacks) =>
            new LeaderElector(kubeConfig, { ...lease, identity }, { ...callbacks, onRequestError: countWriteError("leases") }, logger),
        }),
    ...(options.auditIntervalMs !== undefined ? { auditIntervalMs: options.auditIntervalMs } : {}),
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.reports ? { reportOptions: options.reports } : {}),
  });
}
