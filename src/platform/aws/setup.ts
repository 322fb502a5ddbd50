import type { Config } from "../../core/config.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { Clock } from "./cache.js";
import { parseDurationMs } from "../../core/util/duration.js";
// Types only: the AWS SDK (about 30 MiB of heap and 0.35 s to load) is imported when AWS
// verification starts, not by every `serve` and `check` that never turns it on.
import type { RateLimit, SdkEc2Source, SdkEc2SourceOptions } from "./ec2-source.js";
import { AwsFacts, describeError, type AwsLog } from "./facts-provider.js";
import type { RequestHook, RetryPolicy } from "./retry.js";

export type EndpointChoice = { ok: true; endpoint: string | undefined; from: string } | { ok: false; error: string };

/**
 * The EC2 endpoint override: the `--ec2-endpoint` flag, else `AWS_ENDPOINT_URL_EC2`, else
 * config `aws.endpoint`; none = the SDK's own resolution (which also honours
 * `AWS_ENDPOINT_URL` and `endpoint_url` in the shared config file).
 */
export function resolveEc2Endpoint(flag: string | undefined, config: Config, env: NodeJS.ProcessEnv = process.env): EndpointChoice {
  const candidates: [string | undefined, string][] = [
    [flag, "--ec2-endpoint"],
    [env.AWS_ENDPOINT_URL_EC2, "AWS_ENDPOINT_URL_EC2"],
    [config.aws.endpoint, "config aws.endpoint"],
  ];
  for (const [value, from] of candidates) {
    if (value === undefined || value === "") continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return {
        ok: false,
        error: `${from}: "${value}" is not a URL; give one such as http://127.0.0.1:5000 or https://ec2.eu-west-1.amazonaws.com`,
      };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return { ok: false, error: `${from}: "${value}" must be an http:// or https:// URL` };
    }
    return { ok: true, endpoint: value, from };
  }
  return { ok: true, endpoint: undefined, from: "the AWS SDK's default endpoint" };
}

/** Counts every EC2 attempt in s3_vpce_guard_aws_requests_total{operation,outcome}. */
export function awsRequestsHook(metrics: Pick<Metrics, "awsRequests">): RequestHook {
  return (operation, outcome) => metrics.awsRequests.inc({ operation, outcome });
}

export interface AwsVerificationOptions {
  config: Config;
  /** Regions to ask (called on every miss, so a growing inventory adds regions). */
  regions: () => Iterable<string>;
  /** `--ec2-endpoint`. */
  endpointFlag?: string;
  env?: NodeJS.ProcessEnv;
  log: AwsLog;
  onRequest?: RequestHook;
  /** Static credentials (tests); default: the SDK's default chain. */
  credentials?: SdkEc2SourceOptions["credentials"];
  retry?: RetryPolicy;
  rateLimit?: RateLimit;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** Give up on finding credentials after this long (the instance-metadata probe can be slow off EC2). */
  credentialsTimeoutMs?: number;
}

export type AwsVerification =
  | { ok: true; facts: AwsFacts; source: SdkEc2Source; endpoint: string | undefined }
  /** `badInput`: the user gave something wrong (exit 2 in the CLI); otherwise AWS checks are just off. */
  | { ok: false; reason: string; badInput: boolean };

/**
 * Starts AWS verification: resolves the endpoint override and the credentials once. Without
 * credentials it logs ONE line and returns `ok: false`: the caller leaves `inventory.facts`
 * unset, so AWS-backed checks are off and everything else works.
 */
export async function startAwsVerification(options: AwsVerificationOptions): Promise<AwsVerification> {
  const { config, log } = options;
  const choice = resolveEc2Endpoint(options.endpointFlag, config, options.env);
  if (!choice.ok) return { ok: false, reason: choice.error, badInput: true };
  const cacheTtlMs = parseDurationMs(config.aws.cacheTtl);
  if (cacheTtlMs === undefined || cacheTtlMs <= 0) {
    return { ok: false, reason: `config aws.cacheTtl: "${config.aws.cacheTtl}" is not a positive duration such as "5m"`, badInput: true };
  }
  const { SdkEc2Source } = await import("./ec2-source.js");
  const source = new SdkEc2Source({
    ...(choice.endpoint ? { endpoint: choice.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const missing = await missingCredentials(source, config.defaults.region, options.credentialsTimeoutMs ?? 15_000);
  if (missing !== undefined) {
    source.destroy();
    const reason = `AWS verification is off: no AWS credentials found by the default chain (environment, shared config and credentials files, IRSA web identity, EKS Pod Identity, instance metadata): ${missing}. Provide credentials or run without AWS verification; all other checks run as usual.`;
    log.warn(reason);
    return { ok: false, reason, badInput: false };
  }
  const facts = new AwsFacts({
    source,
    regions: options.regions,
    cacheTtlMs,
    ...(options.clock ? { clock: options.clock } : {}),
    log,
  });
  log.info(
    `AWS verification: EC2 via ${choice.endpoint ?? "the default AWS endpoints"} (${choice.from}), cache TTL ${config.aws.cacheTtl}`,
  );
  return { ok: true, facts, source, endpoint: choice.endpoint };
}

/** undefined when the credential chain yields credentials; else why not, in one line. */
async function missingCredentials(source: SdkEc2Source, region: string, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the credential chain did not answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
  });
  const probe = (async (): Promise<string | undefined> => {
    try {
      const identity = await source.client(region).config.credentials();
      return identity.accessKeyId ? undefined : "the credentials have no access key id";
    } catch (error) {
      return firstLine(describeError(error));
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}
