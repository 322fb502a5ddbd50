import { describe, expect, it, vi } from "vitest";
import { TokenBucket } from "../../src/platform/util/rate-limit.js";

/** A clock that only moves when the bucket sleeps. */
function virtualTime() {
  const t = { now: 0, slept: [] as number[] };
  return {
    t,
    clock: () => t.now,
    sleep: async (ms: number) => {
      t.slept.push(ms);
      t.now += ms;
    },
  };
}

describe("TokenBucket", () => {
  it("allows a burst of `capacity`, then refills at the given rate", () => {
    const v = virtualTime();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2, clock: v.clock, sleep: v.sleep });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    expect(bucket.waitMs()).toBe(500);
    v.t.now += 499;
    expect(bucket.tryTake()).toBe(false);
    v.t.now += 1;
    expect(bucket.tryTake()).toBe(true);
  });

  it("never stores more than its capacity", () => {
    const v = virtualTime();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 10, clock: v.clock, sleep: v.sleep });
    v.t.now += 60_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it("makes callers wait in order, paced at the refill rate", async () => {
    const v = virtualTime();
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 4, clock: v.clock, sleep: v.sleep });
    const order: number[] = [];
    const takes = [1, 2, 3, 4].map((n) => bucket.take().then(() => order.push(n) && v.t.now));
    const times = await Promise.all(takes);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(times).toEqual([0, 250, 500, 750]);
  });

  it("paces with the default clock and timers (5 takes at 50/s with a burst of 1 take 80 ms)", async () => {
    vi.useFakeTimers();
    try {
      const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 50 });
      let done = false;
      const takes = (async () => {
        for (let i = 0; i < 5; i++) await bucket.take();
        done = true;
      })();
      await vi.advanceTimersByTimeAsync(79);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await takes;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects a bucket that could never hand out a token", () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(/capacity >= 1/);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 })).toThrow(/refillPerSecond > 0/);
  });
});
