/**
 * `s3-vpce-guard reconcile`: only the background audit (no admission webhook), with its
 * metrics port and /healthz, /readyz on a health port. Several replicas may run: a Lease
 * elects the one that writes PolicyReports and Events.
 */
import { inventoryAdapter } from "../core/adapters/inventory-adapter.js";
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { startAwsService, type AwsService } from "./aws-service.js";
import { loadConfigOrDefault } from "./config/config-file.js";
import { Inventory } from "../core/inventory/inventory.js";
import { ClusterInventory } from "../platform/kube/cluster-inventory.js";
import { loadKubeConfig } from "../platform/kube/kubeconfig.js";
import { componentLogger, createLogger, type Logger } from "../platform/telemetry/logging.js";
import { createMetrics } from "../platform/telemetry/metrics.js";
import { startMetricsServer, type MetricsServer } from "../platform/http/metrics-server.js";
import { startHealthServer } from "../platform/http/listen.js";
import type { Reconciler } from "../app/audit/reconciler.js";
import { createReconciler } from "./kube-reconciler.js";
import { RECONCILE_OPTIONS } from "./reconcile-usage.js";
import { leaseFlags, leaseOption, portOf, runService, type LeaseFlags } from "./lifecycle.js";

export interface ReconcileOptions extends LeaseFlags {
  configPath?: string;
  metricsPort: number;
  healthPort: number;
  host: string;
}

export interface RunningReconciler {
  reconciler: Reconciler;
  cluster: ClusterInventory;
  metricsServer: MetricsServer;
  healthPort: number;
  stop(): Promise<void>;
}

/** Parses the command line; throws an Error naming the flag on bad input. */
export function parseReconcileArgs(args: string[]): ReconcileOptions {
  const { values } = parseArgs({ args, options: RECONCILE_OPTIONS });
  const options: ReconcileOptions = {
    ...(values.config ? { configPath: values.config } : {}),
    metricsPort: portOf("metrics-port", values["metrics-port"]),
    healthPort: portOf("health-port", values["health-port"]),
    host: values.host ?? "0.0.0.0",
    ...leaseFlags(values),
  };
  return options;
}


/** Starts the reconciler with its ports; resolves once they listen (not waiting for the sync). */
export async function startReconcile(options: ReconcileOptions, env: { logger?: Logger; kubeConfig?: KubeConfig } = {}): Promise<RunningReconciler> {
  const logger = env.logger ?? createLogger();
  const config = await loadConfigOrDefault(options.configPath);
  const kubeConfig = env.kubeConfig ?? loadKubeConfig({ withoutCluster: "run `serve --no-kube` instead (reconcile audits a cluster, it cannot run without one)" });
  const inventory = new Inventory();
  const metrics = createMetrics({ inventoryCounts: () => inventory.countsByKind() });
  const cluster = new ClusterInventory({ kubeConfig, inventory, adapt: inventoryAdapter(inventory, config), logger, metrics });
  const reconciler = createReconciler({
    kubeConfig,
    clusterInventory: cluster,
    config,
    logger,
    metrics,
    identity: options.identity,
    lease: leaseOption(options),
  });
  const metricsServer = await startMetricsServer(metrics.registry, options.metricsPort, options.host);
  const health = await startHealthServer(options.healthPort, options.host, () =>
    reconciler.isSynced ? { ready: true } : { ready: false, reason: "waiting for the first inventory sync (see the logs for watch errors)" },
  ).catch(async (error: unknown) => {
    await metricsServer.close();
    throw error;
  });
  reconciler.start();
  // With aws.enabled, aws-drift and the AWS-backed look-ups run in the audit (cache refreshed in the background).
  const aws: Promise<AwsService | undefined> = startAwsService({ config, inventory, metrics, logger }).catch((error: unknown) => {
    componentLogger(logger, "aws").error({ err: error }, "verification failed to start; AWS checks are off");
    return undefined;
  });
  logger.info(
    { metricsPort: metricsServer.port, healthPort: health.port, identity: options.identity, leaderElection: options.leaderElection, lease: `${options.leaseNamespace}/${options.leaseName}` },
    "reconcile: started",
  );
  let stopping: Promise<void> | undefined;
  return {
    reconciler,
    cluster,
    metricsServer,
    healthPort: health.port,
    stop() {
      stopping ??= (async () => {
        await reconciler.stop();
        (await aws)?.stop();
        await cluster.stop();
        await Promise.all([metricsServer.close(), health.close()]);
      })();
      return stopping;
    },
  };
}

/** The `reconcile` command: runs until SIGTERM/SIGINT, then releases the lease and exits. */
export async function runReconcile(args: string[]): Promise<number> {
  let options: ReconcileOptions;
  try {
    options = parseReconcileArgs(args);
  } catch (error) {
    process.stderr.write(`s3-vpce-guard reconcile: ${(error as Error).message}\nRun 's3-vpce-guard reconcile --help' for usage.\n`);
    return 2;
  }
  return runService("reconcile", async (logger) => {
    const running = await startReconcile(options, { logger });
    return { ports: { metricsPort: running.metricsServer.port, healthPort: running.healthPort }, stop: () => running.stop() };
  });
}
