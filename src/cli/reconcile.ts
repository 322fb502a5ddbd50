/**
 * `s3-vpce-guard reconcile`: only the background audit (no admission webhook), with its
 * metrics port and /healthz, /readyz on a health port. Several replicas may run: a Lease
 * elects the one that writes PolicyReports and Events.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseDurationMs } from "../aws/duration.js";
import { loadConfigFile } from "../config/load.js";
import { defaultConfig, type Config } from "../config/schema.js";
import { Inventory } from "../inventory/inventory.js";
import { ClusterInventory } from "../kube/cluster-inventory.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { createLogger, type Logger } from "../logging.js";
import { createMetrics } from "../metrics/metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";
import { Reconciler } from "../reconciler/reconciler.js";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export const RECONCILE_USAGE = `  s3-vpce-guard reconcile [--config F] [--metrics-port 9090] [--health-port 8081] [--lease-name s3-vpce-guard]
                          [--lease-namespace NS] [--identity ID] [--lease-duration 15s] [--renew-deadline 10s]
                          [--retry-period 2s] [--no-leader-election]
      Audit the cluster continuously into PolicyReports, Events and metrics (no webhook).
`;

export interface ReconcileOptions {
  configPath?: string;
  metricsPort: number;
  healthPort: number;
  host: string;
  leaseName: string;
  leaseNamespace: string;
  identity: string;
  leaderElection: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface RunningReconciler {
  reconciler: Reconciler;
  cluster: ClusterInventory;
  metricsServer: MetricsServer;
  healthPort: number;
  stop(): Promise<void>;
}

function defaultNamespace(): string {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
  return "default";
}

function defaultIdentity(): string {
  return process.env.POD_NAME ?? `${hostname()}_${process.pid}`;
}

function portOf(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} must be a port number 0-65535, got "${value}"`);
  return n;
}

function durationOf(flag: string, value: string | undefined): number {
  const ms = value === undefined ? undefined : parseDurationMs(value);
  if (ms === undefined || ms <= 0) throw new Error(`--${flag} must be a duration such as "15s" or "500ms", got "${value}"`);
  return ms;
}

/** Parses the command line; throws an Error naming the flag on bad input. */
export function parseReconcileArgs(args: string[]): ReconcileOptions {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      "metrics-port": { type: "string", default: "9090" },
      "health-port": { type: "string", default: "8081" },
      host: { type: "string", default: "0.0.0.0" },
      "lease-name": { type: "string", default: "s3-vpce-guard" },
      "lease-namespace": { type: "string" },
      identity: { type: "string" },
      "lease-duration": { type: "string", default: "15s" },
      "renew-deadline": { type: "string", default: "10s" },
      "retry-period": { type: "string", default: "2s" },
      "no-leader-election": { type: "boolean", default: false },
    },
  });
  const options: ReconcileOptions = {
    ...(values.config ? { configPath: values.config } : {}),
    metricsPort: portOf("metrics-port", values["metrics-port"]),
    healthPort: portOf("health-port", values["health-port"]),
    host: values.host ?? "0.0.0.0",
    leaseName: values["lease-name"] ?? "s3-vpce-guard",
    leaseNamespace: values["lease-namespace"] ?? defaultNamespace(),
    identity: values.identity ?? defaultIdentity(),
    leaderElection: !values["no-leader-election"],
    leaseDurationMs: durationOf("lease-duration", values["lease-duration"]),
    renewDeadlineMs: durationOf("renew-deadline", values["renew-deadline"]),
    retryPeriodMs: durationOf("retry-period", values["retry-period"]),
  };
  if (options.renewDeadlineMs >= options.leaseDurationMs) {
    throw new Error(`--renew-deadline (${values["renew-deadline"]}) must be shorter than --lease-duration (${values["lease-duration"]})`);
  }
  if (options.retryPeriodMs >= options.renewDeadlineMs) {
    throw new Error(`--retry-period (${values["retry-period"]}) must be shorter than --renew-deadline (${values["renew-deadline"]})`);
  }
  return options;
}

async function loadConfig(path: string | undefined): Promise<Config> {
  if (!path) return defaultConfig();
  const loaded = await loadConfigFile(path);
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  return loaded.config;
}

function startHealthServer(port: number, host: string, ready: () => { ready: boolean; reason?: string }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const state = ready();
      res.writeHead(state.ready ? 200 : 503, { "content-type": "text/plain" }).end(state.ready ? "ok\n" : `not ready: ${state.reason}\n`);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: this port serves /healthz and /readyz\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** Starts the reconciler with its ports; resolves once they listen (not waiting for the sync). */
export async function startReconcile(options: ReconcileOptions, env: { logger?: Logger; kubeConfig?: KubeConfig } = {}): Promise<RunningReconciler> {
  const logger = env.logger ?? createLogger();
  const config = await loadConfig(options.configPath);
  const kubeConfig = env.kubeConfig ?? loadKubeConfig();
  const inventory = new Inventory();
  const metrics = createMetrics({ inventoryCounts: () => inventory.countsByKind() });
  const cluster = new ClusterInventory({ kubeConfig, inventory, config, logger, metrics });
  const reconciler = new Reconciler({
    kubeConfig,
    clusterInventory: cluster,
    config,
    logger,
    metrics,
    identity: options.identity,
    lease: options.leaderElection
      ? {
          name: options.leaseName,
          namespace: options.leaseNamespace,
          leaseDurationMs: options.leaseDurationMs,
          renewDeadlineMs: options.renewDeadlineMs,
          retryPeriodMs: options.retryPeriodMs,
        }
      : false,
  });
  const metricsServer = await startMetricsServer(metrics.registry, options.metricsPort, options.host);
  const health = await startHealthServer(options.healthPort, options.host, () =>
    reconciler.isSynced ? { ready: true } : { ready: false, reason: "waiting for the first inventory sync (see the logs for watch errors)" },
  ).catch(async (error: unknown) => {
    await metricsServer.close();
    throw error;
  });
  reconciler.start();
  logger.info(
    { metricsPort: metricsServer.port, healthPort: (health.address() as AddressInfo).port, identity: options.identity, leaderElection: options.leaderElection, lease: `${options.leaseNamespace}/${options.leaseName}` },
    "reconcile: started",
  );
  let stopping: Promise<void> | undefined;
  return {
    reconciler,
    cluster,
    metricsServer,
    healthPort: (health.address() as AddressInfo).port,
    stop() {
      stopping ??= (async () => {
        await reconciler.stop();
        await cluster.stop();
        await Promise.all([metricsServer.close(), new Promise<void>((resolve) => health.close(() => resolve()))]);
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
    process.stderr.write(`s3-vpce-guard reconcile: ${(error as Error).message}\n\nUsage:\n${RECONCILE_USAGE}`);
    return 2;
  }
  const logger = createLogger();
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection (kept running); please report this"));
  let running: RunningReconciler;
  try {
    running = await startReconcile(options, { logger });
  } catch (error) {
    logger.fatal({ err: error }, "reconcile: could not start");
    process.stderr.write(`s3-vpce-guard reconcile: ${(error as Error).message}\n`);
    return 2;
  }
  // Tests and scripts that ask for port 0 read the bound ports from here.
  process.stdout.write(`${JSON.stringify({ msg: "ports", metricsPort: running.metricsServer.port, healthPort: running.healthPort })}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "reconcile: shutting down (releasing the lease)");
      void running.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, "reconcile: error while shutting down");
        resolve();
      });
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
  logger.info("reconcile: stopped");
  return 0;
}
