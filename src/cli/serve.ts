/**
 * `s3-vpce-guard serve`: the admission webhook (HTTPS), its metrics port, and — unless
 * --no-kube — the informer-fed inventory that cross-resource rules read and the reconciler
 * (leader-elected audit into PolicyReports and Events) that shares it.
 */
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../core/config.js";
import { Inventory } from "../core/inventory/inventory.js";
import { ClusterInventory, type ClusterInventoryOptions } from "../platform/kube/cluster-inventory.js";
import { loadKubeConfig } from "../platform/kube/kubeconfig.js";
import { createLogger, type Logger } from "../platform/telemetry/logging.js";
import type { Metrics } from "../platform/telemetry/metrics.js";
import { startMetricsServer, type MetricsServer } from "../platform/http/metrics-server.js";
import { type Reconciler } from "../app/audit/reconciler.js";
import { startWebhookServer, type WebhookServer } from "../platform/http/webhook-server.js";
import { admissionHandler } from "./admission-handler.js";
import { SERVE_OPTIONS } from "./serve-usage.js";
import { sharedServices } from "./services.js";
import { leaseFlags, leaseOption, portOf, runService, type LeaseFlags } from "./lifecycle.js";

export interface ServeOptions {
  tlsCert: string;
  tlsKey: string;
  port: number;
  metricsPort: number;
  host: string;
  configPath?: string;
  noKube: boolean;
  /** Admission only: no audit, reports or events (another deployment runs `reconcile`). */
  noReconciler?: boolean;
  /** Leader election for the reconciler; absent = the flags' defaults. */
  lease?: LeaseFlags;
  readyWithoutSync: boolean;
  bodyLimitBytes?: number;
  timeBudgetMs?: number;
  shutdownTimeoutMs?: number;
  /**
   * After SIGTERM, keep answering (not ready) this long before closing the port: the API
   * server and kube-proxy send to a terminating pod until its endpoint is gone, and a closed
   * port there is an admission unchecked (failurePolicy Ignore) or refused (Fail).
   */
  shutdownDelayMs?: number;
}

export interface RunningService {
  webhook: WebhookServer;
  metricsServer: MetricsServer;
  cluster?: ClusterInventory;
  reconciler?: Reconciler;
  inventory: Inventory;
  metrics: Metrics;
  /** Graceful: not ready, finish in-flight requests, stop watches, close ports. */
  stop(): Promise<void>;
}

export interface ServiceEnvironment {
  logger?: Logger;
  /** Default: in-cluster config or $KUBECONFIG. */
  kubeConfig?: KubeConfig;
  /** Passed to the ClusterInventory (tests shorten discovery and backoff). */
  discoveryIntervalMs?: number;
  informer?: ClusterInventoryOptions["informer"];
  /**
   * Fills the inventory before the ports open (benchmarks, demos: bench/webhook-serve.mjs);
   * with `inventory.complete` set, cross-resource rules run as after a first sync. Only
   * with --no-kube.
   */
  preload?: (inventory: Inventory, config: Config) => void;
}

/** Starts everything; resolves once both ports listen (not waiting for the inventory sync). */
export async function startService(options: ServeOptions, env: ServiceEnvironment = {}): Promise<RunningService> {
  const logger = env.logger ?? createLogger();
  if (env.preload && !options.noKube)
    throw new Error("an inventory filled beforehand only works with --no-kube (the cluster's watches fill it otherwise)");
  const kubeConfig = options.noKube
    ? undefined
    : (env.kubeConfig ?? loadKubeConfig({ withoutCluster: "pass --no-kube to serve admission without a cluster" }));
  const lease = options.lease ?? leaseFlags({});
  const shared = await sharedServices({
    configPath: options.configPath,
    logger,
    kubeConfig,
    audit: options.noReconciler ? undefined : { identity: lease.identity, lease: leaseOption(lease) },
    clusterTuning: {
      ...(env.discoveryIntervalMs ? { discoveryIntervalMs: env.discoveryIntervalMs } : {}),
      ...(env.informer ? { informer: env.informer } : {}),
    },
    preload: env.preload,
  });
  const { config, inventory, metrics, cluster, reconciler } = shared;
  shared.start();
  const webhook = await startWebhookServer({
    certFile: options.tlsCert,
    keyFile: options.tlsKey,
    port: options.port,
    host: options.host,
    // Until the first sync (never with --no-kube, unless filled beforehand) the inventory is
    // incomplete, and rules that need the whole cluster stay silent.
    admission: admissionHandler({ config, inventory, inventoryComplete: () => inventory.complete }),
    metrics,
    logger,
    ready: () =>
      options.noKube || options.readyWithoutSync || inventory.complete
        ? { ready: true }
        : { ready: false, reason: "waiting for the first inventory sync (see the logs for watch errors)" },
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.timeBudgetMs ? { timeBudgetMs: options.timeBudgetMs } : {}),
  }).catch(async (error: unknown) => {
    await shared.stop();
    throw error;
  });
  const metricsServer = await startMetricsServer(metrics.registry, options.metricsPort, options.host).catch(async (error: unknown) => {
    await webhook.close(0);
    await shared.stop();
    throw error;
  });
  logger.info(
    {
      port: webhook.port,
      metricsPort: metricsServer.port,
      host: options.host,
      kube: !options.noKube,
      reconciler: reconciler !== undefined,
      readyWithoutSync: options.readyWithoutSync,
    },
    "serve: listening",
  );
  let stopping: Promise<void> | undefined;
  return {
    webhook,
    metricsServer,
    cluster,
    ...(reconciler ? { reconciler } : {}),
    inventory,
    metrics,
    stop() {
      stopping ??= (async () => {
        if (options.shutdownDelayMs) {
          webhook.stopBeingReady();
          logger.info({ delayMs: options.shutdownDelayMs }, "serve: not ready; answering until the endpoint is removed");
          // The audit and its Lease go at once: another replica takes the audit over while
          // this one still answers admission.
          await Promise.all([reconciler?.stop(), new Promise((resolve) => setTimeout(resolve, options.shutdownDelayMs))]);
        }
        await webhook.close(options.shutdownTimeoutMs ?? 10_000);
        await Promise.all([metricsServer.close(), shared.stop()]);
      })();
      return stopping;
    },
  };
}

/** The `serve` command: runs until SIGTERM/SIGINT, then shuts down gracefully. Exit code. */
export async function runServe(options: ServeOptions): Promise<number> {
  return runService("serve", async (logger) => {
    const service = await startService(options, { logger });
    return { ports: { port: service.webhook.port, metricsPort: service.metricsServer.port }, stop: () => service.stop() };
  });
}

/** Parses `serve`'s command line; throws an Error naming the flag on bad input. */
export function parseServeArgs(args: string[]): ServeOptions {
  const { values } = parseArgs({ args, options: SERVE_OPTIONS });
  const positive = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive whole number, got "${value}"`);
    return n;
  };
  if (!values["tls-cert"] || !values["tls-key"]) {
    throw new Error("serve needs --tls-cert FILE and --tls-key FILE (s3-vpce-guard cert --out DIR makes a pair)");
  }
  return {
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    port: portOf("port", values.port),
    metricsPort: portOf("metrics-port", values["metrics-port"]),
    host: values.host ?? "0.0.0.0",
    ...(values.config ? { configPath: values.config } : {}),
    noKube: values["no-kube"] ?? false,
    noReconciler: values["no-reconciler"] ?? false,
    readyWithoutSync: values["ready-without-sync"] ?? false,
    bodyLimitBytes: positive("body-limit", values["body-limit"]),
    timeBudgetMs: positive("time-budget-ms", values["time-budget-ms"]),
    shutdownDelayMs: positive("shutdown-delay-ms", values["shutdown-delay-ms"]),
    lease: leaseFlags(values),
  };
}
