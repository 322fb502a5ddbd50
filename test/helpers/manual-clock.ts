/**
 * Virtual time for code that takes an injected clock and sleep: nothing moves until the test
 * advances it, so a test asserts on the delays asked for, never on wall-clock time.
 */
export class ManualClock {
  private time = 0;
  private timers: Array<{ at: number; wake: () => void }> = [];
  /** Every delay asked for, in order. */
  readonly requested: number[] = [];

  now = (): number => this.time;

  /** The injected Sleep: resolves when the clock reaches now + ms, or at once when `signal` aborts. */
  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    this.requested.push(ms);
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = {
        at: this.time + ms,
        wake: () => {
          this.timers = this.timers.filter((t) => t !== timer);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener("abort", timer.wake, { once: true });
    });
  };

  /** Sleeps not yet over. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves to the earliest pending timer and wakes everything due; false when none is pending. */
  advanceToNext(): boolean {
    if (this.timers.length === 0) return false;
    this.advance(Math.max(0, Math.min(...this.timers.map((t) => t.at)) - this.time));
    return true;
  }

  advance(ms: number): void {
    this.time += ms;
    for (const timer of this.timers.filter((t) => t.at <= this.time)) timer.wake();
  }
}

/** Lets promises and I/O callbacks queued so far run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
