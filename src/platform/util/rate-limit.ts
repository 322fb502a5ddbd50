import { sleep as realSleep, type Sleep } from "./backoff.js";

export interface TokenBucketOptions {
  /** Burst size. */
  capacity: number;
  refillPerSecond: number;
  /** Milliseconds; injected for tests. Default Date.now. */
  clock?: () => number;
  sleep?: Sleep;
}

/**
 * The one rate limiter: a token bucket, up to `capacity` at once, then `refillPerSecond`.
 * Callers that may wait use take() (FIFO: EC2 calls, one bucket per region); callers that
 * must not wait use tryTake() and waitMs() (Kubernetes Events, log lines).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private readonly sleep: Sleep;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.capacity >= 1) || !(options.refillPerSecond > 0)) {
      throw new Error(`token bucket needs capacity >= 1 and refillPerSecond > 0 (got ${options.capacity}, ${options.refillPerSecond})`);
    }
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.tokens = options.capacity;
    this.updatedAt = this.clock();
  }

  /** Takes a token now if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Waits (in arrival order) until a token is available, then takes it. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Milliseconds until the next token (0 when one is available). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.options.refillPerSecond);
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      if (this.tryTake()) return;
      await this.sleep(this.waitMs());
    }
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed * this.options.refillPerSecond) / 1000);
  }
}
