/**
 * `s3-vpce-guard serve`: the admission webhook (HTTPS), its metrics port, and — unless
 * --no-kube — the informer-fed inventory that cross-resource rules read and the reconciler
 * (leader-elected audit into PolicyReports and Events) that shares it.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { adapt } from "../adapters/index.js";
import { startAwsService, type AwsService } from "../aws/service.js";
import { loadConfigOrDefault } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { adapterContext } from "../engine/check.js";
import { Inventory } from "../inventory/inventory.js";
import { ClusterInventory, type ClusterInventoryOptions } from "../kube/cluster-inventory.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { createLogger, type Logger } from "../logging.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";
import { Reconciler } from "../reconciler/reconciler.js";
import { startWebhookServer, type WebhookServer } from "../webhook/server.js";
import { loadInputs } from "./load.js";
import { LEASE_ARG_OPTIONS, leaseFlags, leaseOption, portOf, runUntilSignal, type LeaseFlags } from "./service-flags.js";


export interface ServeOptions extends Partial<LeaseFlags> {
  tlsCert: string;
  tlsKey: string;
  port: number;
  metricsPort: number;
  host: string;
  configPath?: string;
  noKube: boolean;
  /** Admission only: no audit, reports or events (another deployment runs `reconcile`). */
  noReconciler?: boolean;
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
  const config = await loadConfigOrDefault(options.configPath);
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
  }
  let reconciler: Reconciler | undefined;
  if (cluster && !options.noReconciler) {
    const lease = leaseFlags({
      "lease-name": options.leaseName,
      "lease-namespace": options.leaseNamespace,
      identity: options.identity,
      "no-leader-election": options.leaderElection === false,
      "lease-duration": `${options.leaseDurationMs ?? 15_000}ms`,
      "renew-deadline": `${options.renewDeadlineMs ?? 10_000}ms`,
      "retry-period": `${options.retryPeriodMs ?? 2_000}ms`,
    });
    reconciler = new Reconciler({
      kubeConfig: env.kubeConfig ?? loadKubeConfig(),
      clusterInventory: cluster,
      config,
      logger,
      metrics,
      identity: lease.identity,
      lease: leaseOption(lease),
    });
    reconciler.start(); // starts the shared inventory too
  } else {
    cluster?.start();
  }
  // Admission reads only the cache; the refresh runs in the background (the credential probe can be slow).
  const aws: Promise<AwsService | undefined> = startAwsService({ config, inventory, metrics, logger }).catch((error: unknown) => {
    logger.error({ err: error }, "aws: verification failed to start; AWS checks are off");
    return undefined;
  });
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
    await reconciler?.stop();
    await cluster?.stop();
    throw error;
  });
  const metricsServer = await startMetricsServer(metrics.registry, options.metricsPort, options.host).catch(async (error: unknown) => {
    await webhook.close(0);
    await reconciler?.stop();
    await cluster?.stop();
    throw error;
  });
  logger.info(
    { port: webhook.port, metricsPort: metricsServer.port, host: options.host, kube: !options.noKube, reconciler: reconciler !== undefined, readyWithoutSync: options.readyWithoutSync },
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
        await webhook.close(options.shutdownTimeoutMs ?? 10_000);
        // The reconciler releases its lease before the shared watches stop.
        await reconciler?.stop();
        (await aws)?.stop();
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
  await runUntilSignal("serve", logger, () => service.stop());
  return 0;
}

/** Parses `serve`'s command line; throws an Error naming the flag on bad input. */
export function parseServeArgs(args: string[]): ServeOptions {
  const { values } = parseArgs({
    args,
    options: {
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      port: { type: "string", default: "8443" },
      "metrics-port": { type: "string", default: "9090" },
      host: { type: "string", default: "0.0.0.0" },
      config: { type: "string", short: "c" },
      "no-kube": { type: "boolean", default: false },
      "no-reconciler": { type: "boolean", default: false },
      "ready-without-sync": { type: "boolean", default: false },
      "body-limit": { type: "string" },
      "time-budget-ms": { type: "string" },
      // Hidden: fills the inventory from manifests (benchmarks, demos; needs --no-kube).
      "preload-file": { type: "string", multiple: true },
      ...LEASE_ARG_OPTIONS,
    },
  });
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
    ...(values["preload-file"] ? { preloadPaths: values["preload-file"] } : {}),
    ...leaseFlags(values),
  };
}
