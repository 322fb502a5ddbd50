import type { Config } from "../core/config.js";
import type { Inventory } from "../core/inventory/inventory.js";
import type { AwsLog } from "../platform/aws/facts-provider.js";
import type { RequestHook } from "../platform/aws/retry.js";
import { startAwsVerification, type AwsVerificationOptions } from "../platform/aws/setup.js";
import { inventoryRegions } from "../core/inventory/aws-references.js";

export interface CliAwsOptions {
  config: Config;
  /** `--ec2-endpoint`. */
  endpointFlag?: string;
  env?: NodeJS.ProcessEnv;
  onRequest?: RequestHook;
  credentials?: AwsVerificationOptions["credentials"];
  retry?: AwsVerificationOptions["retry"];
}

export type CliAws =
  /** `inventory.facts` is set when AWS verification is on; `notice` explains why it is off. */
  { ok: true; notice?: string; close(): void } | { ok: false; error: string };

const silent: AwsLog = { warn: () => undefined, info: () => undefined };

/**
 * `check --aws`: AWS facts for every region the inputs mention, listed before checking (so
 * every referenced vpce-/vpc- id, endpoint awsId and VPC has been looked up), set on the
 * inventory the inputs were adapted into (adaptInputs: each object is adapted once). When
 * AWS cannot be used, the inventory stays without facts and `notice` is the one line to
 * print; the checks then run as without --aws.
 */
export async function prepareCliAws(inventory: Inventory, options: CliAwsOptions): Promise<CliAws> {
  const { config } = options;
  const started = await startAwsVerification({
    config,
    regions: () => inventoryRegions(inventory, config.defaults.region),
    log: silent,
    ...(options.endpointFlag !== undefined ? { endpointFlag: options.endpointFlag } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  if (!started.ok) {
    return started.badInput ? { ok: false, error: started.reason } : { ok: true, notice: started.reason, close: () => undefined };
  }
  const close = () => started.source.destroy();
  const refreshed = await started.facts.refresh();
  if (refreshed.failed.length > 0) {
    close();
    const failures = refreshed.failed.map((f) => `${f.region}: ${f.message.replace(/\s+/g, " ")}`).join("; ");
    return {
      ok: true,
      notice: `AWS verification is off: EC2 could not be listed in ${refreshed.failed.length === 1 ? "region" : "regions"} ${failures}. All other checks run as usual.`,
      close: () => undefined,
    };
  }
  inventory.facts = started.facts;
  return { ok: true, close };
}
