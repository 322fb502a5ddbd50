/**
 * `s3-vpce-guard serve`: the admission webhook (HTTPS), its metrics port, and — unless
 * --no-kube — the informer-fed inventory that cross-resource rules read.
 */
import { readFile } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { adapt } from "../adapters/index.js";
import { loadConfigFile } from "../config/load.js";
import { defaultConfig, type Config } from "../config/schema.js";
import { adapterContext } from "../engine/check.js";
import { Inventory } from "../inventory/inventory.js";
import { ClusterInventory, type ClusterInventoryOptions } from "../kube/cluster-inventory.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { createLogger, type Logger } from "../logging.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";
import { startWebhookServer, type WebhookServer } from "../webhook/server.js";
import { loadInputs } from "./load.js";

export interface ServeOptions {
  tlsCert: string;
  tlsKey: string;
  port: number;
  metricsPort: number;
  host: string;
  configPath?: string;
  noKube: boolean;
  readyWithoutSync: boolean;
  bodyLimitBytes?: number;
  timeBudgetMs?: number;
  shutdownTimeoutMs?: number;
  /**
   * Hidden (benchmarks, demos): manifests read into the inventory at start, which then
   * counts as complete, as in the CLI. Only with --no-kube.
   */
  preloadPaths?: string[];
}

export interface RunningService {
  webhook: WebhookServer;
  metricsServer: MetricsServer;
  cluster?: ClusterInventory;
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
}

async function loadConfig(path: string | undefined): Promise<Config> {
  if (!path) return defaultConfig();
  const loaded = await loadConfigFile(path);
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  return loaded.config;
}

/** JSON files (one object or a List) are read with JSON.parse: a 10k-object List is too big for a YAML parse. */
async function readPreload(paths: string[], logger: Logger): Promise<unknown[]> {
  const objects: unknown[] = [];
  const yamlPaths: string[] = [];
  for (const path of paths) {
    if (!path.endsWith(".json")) {
      yamlPaths.push(path);
      continue;
    }
    const parsed = JSON.parse(await readFile(path, "utf8")) as { kind?: unknown; items?: unknown };
    if (parsed.kind === "List" && Array.isArray(parsed.items)) objects.push(...(parsed.items as unknown[]));
    else objects.push(parsed);
  }
  if (yamlPaths.length > 0) {
    const { documents, errors } = await loadInputs(yamlPaths);
    for (const e of errors) logger.warn({ file: e.file, line: e.line, reason: e.message }, "preload: input not read");
    objects.push(...documents.map((d) => d.object));
  }
  return objects;
}

async function preload(inventory: Inventory, config: Config, paths: string[], logger: Logger): Promise<void> {
  const objects = await readPreload(paths, logger);
  const isNamespace = (o: unknown) => (o as { kind?: unknown } | null)?.kind === "Namespace";
  const ctx = adapterContext(inventory, config);
  // Namespaces first: ACK objects read their default region from them.
  for (const object of [...objects.filter(isNamespace), ...objects.filter((o) => !isNamespace(o))]) {
    const result = adapt(object, ctx);
    if (result.status === "adapted") inventory.upsert(result.object);
  }
  inventory.complete = true;
  logger.info({ objects: inventory.size }, "preload: inventory filled from files");
}

/** Starts everything; resolves once both ports listen (not waiting for the inventory sync). */
export async function startService(options: ServeOptions, env: ServiceEnvironment = {}): Promise<RunningService> {
  const logger = env.logger ?? createLogger();
  const config = await loadConfig(options.configPath);
  const inventory = new Inventory();
  const metrics = createMetrics({ inventoryCounts: () => inventory.countsByKind() });
  let cluster: ClusterInventory | undefined;
  if (options.preloadPaths?.length) {
    if (!options.noKube) throw new Error("--preload-file only works with --no-kube");
    await preload(inventory, config, options.preloadPaths, logger);
  }
  if (!options.noKube) {
    cluster = new ClusterInventory({
      kubeConfig: env.kubeConfig ?? loadKubeConfig(),
      inventory,
      config,
      logger,
      metrics,
      ...(env.discoveryIntervalMs ? { discoveryIntervalMs: env.discoveryIntervalMs } : {}),
      ...(env.informer ? { informer: env.informer } : {}),
    });
    cluster.start();
  }
  const webhook = await startWebhookServer({
    certFile: options.tlsCert,
    keyFile: options.tlsKey,
    port: options.port,
    host: options.host,
    config,
    inventory,
    metrics,
    logger,
    // --no-kube without preload: the inventory holds nothing, so rules that need the
    // whole cluster must not run (inventory.complete stays false).
    inventoryComplete: () => inventory.complete,
    ready: () =>
      options.noKube || options.readyWithoutSync || inventory.complete
        ? { ready: true }
        : { ready: false, reason: "waiting for the first inventory sync (see the logs for watch errors)" },
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.timeBudgetMs ? { timeBudgetMs: options.timeBudgetMs } : {}),
  }).catch(async (error: unknown) => {
    await cluster?.stop();
    throw error;
  });
  const metricsServer = await startMetricsServer(metrics.registry, options.metricsPort, options.host).catch(async (error: unknown) => {
    await webhook.close(0);
    await cluster?.stop();
    throw error;
  });
  logger.info(
    { port: webhook.port, metricsPort: metricsServer.port, host: options.host, kube: !options.noKube, readyWithoutSync: options.readyWithoutSync },
    "serve: listening",
  );
  let stopping: Promise<void> | undefined;
  return {
    webhook,
    metricsServer,
    cluster,
    inventory,
    metrics,
    stop() {
      stopping ??= (async () => {
        await webhook.close(options.shutdownTimeoutMs ?? 10_000);
        await Promise.all([metricsServer.close(), cluster?.stop()]);
      })();
      return stopping;
    },
  };
}

/** The `serve` command: runs until SIGTERM/SIGINT, then shuts down gracefully. Exit code. */
export async function runServe(options: ServeOptions): Promise<number> {
  const logger = createLogger();
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection (kept running); please report this"));
  let service: RunningService;
  try {
    service = await startService(options, { logger });
  } catch (error) {
    logger.fatal({ err: error }, "serve: could not start");
    process.stderr.write(`s3-vpce-guard serve: ${(error as Error).message}\n`);
    return 2;
  }
  // Tests and scripts that ask for port 0 read the bound ports from here.
  process.stdout.write(`${JSON.stringify({ msg: "ports", port: service.webhook.port, metricsPort: service.metricsServer.port })}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "serve: shutting down (finishing in-flight requests)");
      void service.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, "serve: error while shutting down");
        resolve();
      });
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
  logger.info("serve: stopped");
  return 0;
}
