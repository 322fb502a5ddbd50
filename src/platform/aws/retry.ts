import { Backoff, type Sleep } from "../util/backoff.js";

/** The outcome of one AWS API attempt, as counted by s3_vpce_guard_aws_requests_total. */
export type RequestOutcome = "success" | "throttled" | "error";

/** Called once per HTTP attempt (retries included). */
export type RequestHook = (operation: string, outcome: RequestOutcome) => void;

const THROTTLING_CODES = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "SlowDown",
]);

const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ECONNABORTED"]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

function shape(error: unknown): ErrorShape {
  return typeof error === "object" && error !== null ? (error as ErrorShape) : {};
}

/** The AWS error code (`RequestLimitExceeded`, `UnauthorizedOperation`, …) or a network code. */
export function errorCode(error: unknown): string | undefined {
  const e = shape(error);
  for (const candidate of [e.Code, e.code, e.name]) if (typeof candidate === "string" && candidate !== "Error") return candidate;
  return undefined;
}

export function httpStatusOf(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

export function isThrottling(error: unknown): boolean {
  const code = errorCode(error);
  return (code !== undefined && THROTTLING_CODES.has(code)) || httpStatusOf(error) === 429 || shape(error).$retryable?.throttling === true;
}

/** Worth another attempt: throttling, a 5xx answer, or a transient network failure. */
export function isRetryable(error: unknown): boolean {
  if (isThrottling(error)) return true;
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500;
  const code = errorCode(error);
  return code !== undefined && (TRANSIENT_NETWORK_CODES.has(code) || code === "TimeoutError" || code === "RequestTimeout");
}

export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 };

export interface RetryDeps {
  sleep?: Sleep;
  /** [0, 1); injected for deterministic tests. */
  random?: () => number;
  onRequest?: RequestHook;
  /** Runs before every attempt (the rate limiter). */
  beforeAttempt?: () => Promise<void>;
  /** Aborting it ends a running backoff wait: the last error is thrown at once. */
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or runs out of
 * attempts; every attempt is reported to `onRequest`. The SDK's own retries are switched
 * off (maxAttempts 1 on the client) so that this is the one retry policy, and each HTTP
 * attempt is counted exactly once. Waits are the shared full-jitter backoff.
 */
export async function withRetries<T>(
  operation: string,
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  deps: RetryDeps = {},
): Promise<T> {
  const backoff = new Backoff({
    initialMs: policy.baseDelayMs,
    maxMs: policy.maxDelayMs,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  for (let tried = 1; ; tried++) {
    await deps.beforeAttempt?.();
    try {
      const result = await attempt();
      deps.onRequest?.(operation, "success");
      return result;
    } catch (error) {
      deps.onRequest?.(operation, isThrottling(error) ? "throttled" : "error");
      if (tried >= policy.maxAttempts || !isRetryable(error)) throw error;
      await backoff.wait();
      if (backoff.isStopped) throw error;
    }
  }
}
