/**
 * The one retry backoff: exponential with "full jitter" (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): the n-th wait is uniform in [0, min(max, initial·2^n)), so clients
 * that failed together do not come back together. Waits never keep the process alive and
 * end at once on stop() or an aborted signal. Time and randomness are injectable for tests.
 */

/** Waits `ms`; resolves early (never rejects) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** A timer that does not keep the process alive, cut short by `signal`. */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });

export interface BackoffPolicy {
  /** Ceiling of the first wait. */
  initialMs: number;
  /** Ceiling of every wait. */
  maxMs: number;
}

/** The full-jitter wait before retry number `retry` (0 = the first retry); `random` in [0, 1). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  // The exponent is capped: 2^31 ms is weeks, far past any maxMs, and keeps the product finite.
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, retry), 31));
  return Math.floor(random() * ceiling);
}

/** `ms` stretched by up to `factor` (0.2 → [ms, 1.2·ms)), for periodic loops that must not run in lockstep. */
export function jitterUp(ms: number, factor: number, random: () => number = Math.random): number {
  return ms * (1 + random() * factor);
}

export interface BackoffOptions extends BackoffPolicy {
  sleep?: Sleep;
  random?: () => number;
  /** Aborting it is stop(). */
  signal?: AbortSignal;
}

/**
 * The ramp of one retry loop: each wait() waits the next step; reset() (a success) starts
 * over; wake() cuts a running wait short; stop() ends the running wait and every later one
 * at once.
 */
export class Backoff {
  private retries = 0;
  private stopped = false;
  private running: AbortController | undefined;

  constructor(private readonly options: BackoffOptions) {
    options.signal?.addEventListener("abort", () => this.stop(), { once: true });
    if (options.signal?.aborted) this.stop();
  }

  /** Waits since the last reset(): the failures in a row. */
  get failures(): number {
    return this.retries;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** True while a wait() is running. */
  get waiting(): boolean {
    return this.running !== undefined;
  }

  /** Draws the next step's delay and counts it as a failure. */
  next(): number {
    return backoffDelayMs(this.retries++, this.options, this.options.random);
  }

  /** Waits the next step (or `delayMs` drawn by next()); returns at once when stopped. */
  async wait(delayMs: number = this.next()): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    this.running = controller;
    try {
      await (this.options.sleep ?? sleep)(delayMs, controller.signal);
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  reset(): void {
    this.retries = 0;
  }

  /** Ends a running wait now and starts the ramp again; false when none was running. */
  wake(): boolean {
    if (!this.running) return false;
    this.retries = 0;
    this.running.abort();
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.running?.abort();
  }
}
