/**
 * `s3-vpce-guard reconcile`: only the background audit (no admission webhook), with its
 * metrics port and /healthz, /readyz on a health port. Several replicas may run: a Lease
 * elects the one that writes PolicyReports and Events.
 */
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterInventory } from "../platform/kube/cluster-inventory.js";
import { loadKubeConfig } from "../platform/kube/kubeconfig.js";
import { createLogger, type Logger } from "../platform/telemetry/logging.js";
import { startMetricsServer, type MetricsServer } from "../platform/http/metrics-server.js";
import { startHealthServer } from "../platform/http/listen.js";
import type { Reconciler } from "../app/audit/reconciler.js";
import { seeHelp } from "./conventions.js";
import { RECONCILE_OPTIONS } from "./reconcile-usage.js";
import { sharedServices } from "./services.js";
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
export async function startReconcile(
  options: ReconcileOptions,
  env: { logger?: Logger; kubeConfig?: KubeConfig } = {},
): Promise<RunningReconciler> {
  const logger = env.logger ?? createLogger();
  const kubeConfig =
    env.kubeConfig ??
    loadKubeConfig({ withoutCluster: "run `serve --no-kube` instead (reconcile audits a cluster, it cannot run without one)" });
  const shared = await sharedServices({
    configPath: options.configPath,
    logger,
    kubeConfig,
    audit: { identity: options.identity, lease: leaseOption(options) },
  });
  const { reconciler, cluster } = shared;
  // Both exist whenever a kubeConfig and an audit identity are given, as here.
  if (!reconciler || !cluster) throw new Error("reconcile: the cluster watches or the audit did not start; please report this");
  const metricsServer = await startMetricsServer(shared.metrics.registry, options.metricsPort, options.host);
  const health = await startHealthServer(options.healthPort, options.host, () =>
    reconciler.isSynced
      ? { ready: true }
      : { ready: false, reason: "waiting for the first inventory sync (see the logs for watch errors)" },
  ).catch(async (error: unknown) => {
    await metricsServer.close();
    throw error;
  });
  // With aws.enabled, aws-drift and the AWS-backed look-ups run in the audit (cache refreshed in the background).
  shared.start();
  logger.info(
    {
      metricsPort: metricsServer.port,
      healthPort: health.port,
      identity: options.identity,
      leaderElection: options.leaderElection,
      lease: `${options.leaseNamespace}/${options.leaseName}`,
    },
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
        await shared.stop();
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
    process.stderr.write(`s3-vpce-guard reconcile: ${(error as Error).message}\n${seeHelp("reconcile")}\n`);
    return 2;
  }
  return runService("reconcile", async (logger) => {
    const running = await startReconcile(options, { logger });
    return { ports: { metricsPort: running.metricsServer.port, healthPort: running.healthPort }, stop: () => running.stop() };
  });
}
