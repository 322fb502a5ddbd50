// One reconciler replica as `s3-vpce-guard reconcile` composes it (inventory, metrics, the
// cluster's informers, the reconciler), for the integration tests that start one or several.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../src/core/config.js";
import { inventoryAdapter } from "../../src/core/adapters/inventory-adapter.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import type { Reconciler } from "../../src/app/audit/reconciler.js";
import { createReconciler, type KubeReconcilerOptions } from "../../src/cli/kube-reconciler.js";
import { ClusterInventory, type ClusterInventoryOptions } from "../../src/platform/kube/cluster-inventory.js";
import type { Logger } from "../../src/platform/telemetry/logging.js";
import { createMetrics, type Metrics } from "../../src/platform/telemetry/metrics.js";

export interface ReplicaOptions {
  kubeConfig: KubeConfig;
  config: Config;
  logger: Logger;
  identity: string;
  lease: KubeReconcilerOptions["lease"];
  /** Discovery interval and informer tuning of the cluster inventory. */
  cluster?: Pick<ClusterInventoryOptions, "discoveryIntervalMs" | "informer">;
  /** Batch window, audit interval, Event and report settings of the reconciler. */
  reconciler?: Pick<KubeReconcilerOptions, "debounceMs" | "auditIntervalMs" | "events" | "reports">;
}

export interface ReplicaParts {
  inventory: Inventory;
  metrics: Metrics;
  cluster: ClusterInventory;
  reconciler: Reconciler;
}

/** Builds the parts, not started: the caller starts the reconciler and stops both. */
export function reconcilerReplica(options: ReplicaOptions): ReplicaParts {
  const { kubeConfig, config, logger } = options;
  const inventory = new Inventory();
  const metrics = createMetrics({ processMetrics: false, inventoryCounts: () => inventory.countsByKind() });
  const cluster = new ClusterInventory({
    kubeConfig,
    inventory,
    adapt: inventoryAdapter(inventory, config),
    logger,
    metrics,
    ...options.cluster,
  });
  const reconciler = createReconciler({
    kubeConfig,
    clusterInventory: cluster,
    config,
    logger,
    metrics,
    identity: options.identity,
    lease: options.lease,
    ...options.reconciler,
  });
  return { inventory, metrics, cluster, reconciler };
}
