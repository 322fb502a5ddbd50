/**
 * What `serve` and `reconcile` both run: the config, the inventory and its metrics, the
 * cluster watches feeding it, the background audit (when this process audits), and AWS
 * verification. Each command adds its own servers around it.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Reconciler } from "../app/audit/reconciler.js";
import { inventoryAdapter } from "../core/adapters/inventory-adapter.js";
import type { Config } from "../core/config.js";
import { Inventory } from "../core/inventory/inventory.js";
import { ClusterInventory, type ClusterInventoryOptions } from "../platform/kube/cluster-inventory.js";
import type { LeaseSettings } from "../platform/kube/leader.js";
import { componentLogger, type Logger } from "../platform/telemetry/logging.js";
import { createMetrics, type Metrics } from "../platform/telemetry/metrics.js";
import { disableAllocationSitePretenuring } from "../platform/util/heap-policy.js";
import { startAwsService, type AwsService } from "./aws-service.js";
import { loadConfigOrDefault } from "./config/config-file.js";
import { createReconciler } from "./kube-reconciler.js";

export interface SharedServiceOptions {
  configPath: string | undefined;
  logger: Logger;
  /** undefined: no cluster (serve --no-kube). */
  kubeConfig: KubeConfig | undefined;
  /** This process audits: its identity and Lease (false: no election). undefined: it only watches. */
  audit: { identity: string; lease: Omit<LeaseSettings, "identity"> | false } | undefined;
  /** Passed to the ClusterInventory (tests shorten discovery and backoff). */
  clusterTuning?: Pick<ClusterInventoryOptions, "discoveryIntervalMs" | "informer">;
  /** Fills the inventory before anything starts (no cluster only). */
  preload?: ((inventory: Inventory, config: Config) => void) | undefined;
}

export interface SharedServices {
  config: Config;
  inventory: Inventory;
  metrics: Metrics;
  cluster: ClusterInventory | undefined;
  reconciler: Reconciler | undefined;
  /** Starts the watches (through the reconciler when it audits) and AWS verification in the background. */
  start(): void;
  /** Stops the audit (its lease released first), AWS verification and the watches. */
  stop(): Promise<void>;
}

export async function sharedServices(options: SharedServiceOptions): Promise<SharedServices> {
  const { logger, kubeConfig } = options;
  const config = await loadConfigOrDefault(options.configPath);
  // Before the inventory fills: see heap-policy.ts (reviews would otherwise promote their garbage).
  disableAllocationSitePretenuring();
  const inventory = new Inventory();
  options.preload?.(inventory, config);
  const metrics = createMetrics({ inventoryCounts: () => inventory.countsByKind() });
  const cluster = kubeConfig
    ? new ClusterInventory({ kubeConfig, inventory, adapt: inventoryAdapter(inventory, config), logger, metrics, ...options.clusterTuning })
    : undefined;
  const reconciler =
    kubeConfig && cluster && options.audit
      ? createReconciler({
          kubeConfig,
          clusterInventory: cluster,
          config,
          logger,
          metrics,
          identity: options.audit.identity,
          lease: options.audit.lease,
        })
      : undefined;
  let aws: Promise<AwsService | undefined> | undefined;
  let stopping: Promise<void> | undefined;
  return {
    config,
    inventory,
    metrics,
    cluster,
    reconciler,
    start() {
      if (reconciler)
        reconciler.start(); // starts the shared watches too
      else cluster?.start();
      // Admission and the audit read only the cache; the refresh runs in the background (the credential probe can be slow).
      aws ??= startAwsService({ config, inventory, metrics, logger }).catch((error: unknown) => {
        componentLogger(logger, "aws").error({ err: error }, "verification failed to start; AWS checks are off");
        return undefined;
      });
    },
    stop() {
      stopping ??= (async () => {
        // The reconciler releases its lease before the shared watches stop.
        await reconciler?.stop();
        (await aws)?.stop();
        await cluster?.stop();
      })();
      return stopping;
    },
  };
}
