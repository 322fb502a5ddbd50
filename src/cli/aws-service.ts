import type { Config } from "../core/config.js";
import type { Inventory } from "../core/inventory/inventory.js";
import { componentLogger, type Logger } from "../platform/telemetry/logging.js";
import type { Metrics } from "../platform/telemetry/metrics.js";
import { parseDurationMs } from "../core/util/duration.js";
import { awsRequestsHook, startAwsVerification } from "../platform/aws/setup.js";
import { inventoryRegions } from "../core/inventory/aws-references.js";

export interface AwsService {
  stop(): void;
}

/**
 * AWS verification for the long-running commands: when `aws.enabled`, sets the inventory's
 * facts and refreshes them every cache TTL in the background. Admission only ever reads the
 * cache. Without credentials it logs one line and returns undefined (AWS checks off).
 */
export async function startAwsService(options: {
  config: Config;
  inventory: Inventory;
  metrics: Metrics;
  logger: Logger;
}): Promise<AwsService | undefined> {
  const { config, inventory, metrics } = options;
  const logger = componentLogger(options.logger, "aws");
  if (!config.aws.enabled) return undefined;
  const started = await startAwsVerification({
    config,
    regions: () => inventoryRegions(inventory, config.defaults.region),
    log: { warn: (m) => logger.warn(m), info: (m) => logger.info(m) },
    onRequest: awsRequestsHook(metrics),
  });
  if (!started.ok) {
    if (started.badInput) logger.error({ reason: started.reason }, "verification not started");
    return undefined;
  }
  inventory.facts = started.facts;
  const refresh = () =>
    started.facts.refresh().then((result) => {
      for (const failure of result.failed)
        logger.warn({ region: failure.region, reason: failure.message }, "region could not be listed; cached facts kept");
    });
  void refresh();
  const timer = setInterval(() => void refresh(), parseDurationMs(config.aws.cacheTtl) ?? 300_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      started.source.destroy();
    },
  };
}
