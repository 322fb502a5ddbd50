import { describe, expect, it } from "vitest";
import { Backoff, backoffDelayMs, jitterUp, sleep } from "../../src/platform/util/backoff.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

describe("backoffDelayMs", () => {
  const policy = { initialMs: 100, maxMs: 1_000 };
  it("doubles the ceiling per retry up to the maximum, with full jitter", () => {
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(1, policy, () => 0.5)).toBe(100);
  });

  it("stays finite and capped for any retry count", () => {
    expect(backoffDelayMs(10_000, policy, () => 0.999999)).toBe(999);
    expect(backoffDelayMs(-1, policy, () => 0.5)).toBe(50);
  });
});

describe("jitterUp", () => {
  it("stretches by up to the factor, never shortens", () => {
    expect(jitterUp(1_000, 0.2, () => 0)).toBe(1_000);
    expect(jitterUp(1_000, 0.2, () => 0.5)).toBe(1_100);
  });
});

describe("Backoff", () => {
  const ramp = (clock: ManualClock) => new Backoff({ initialMs: 100, maxMs: 400, sleep: clock.sleep, random: () => 0.5 });

  it("waits the ramp step by step, counts failures and starts over after reset()", async () => {
    const clock = new ManualClock();
    const backoff = ramp(clock);
    for (let i = 0; i < 4; i++) {
      const waited = backoff.wait();
      await settle();
      expect(backoff.waiting).toBe(true);
      clock.advanceToNext();
      await waited;
    }
    expect(clock.requested).toEqual([50, 100, 200, 200]);
    expect(backoff.failures).toBe(4);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it("wake() ends a running wait and restarts the ramp; without a wait it does nothing", async () => {
    const clock = new ManualClock();
    const backoff = ramp(clock);
    expect(backoff.wake()).toBe(false);
    backoff.next();
    const waited = backoff.wait();
    await settle();
    expect(backoff.wake()).toBe(true);
    await waited;
    expect(clock.now()).toBe(0);
    expect(backoff.failures).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("stop() and an aborted signal end the running wait and every later one at once", async () => {
    const clock = new ManualClock();
    const backoff = ramp(clock);
    const waited = backoff.wait();
    await settle();
    backoff.stop();
    await waited;
    await backoff.wait();
    expect(clock.requested).toEqual([50]);
    expect(clock.now()).toBe(0);

    const controller = new AbortController();
    const signalled = new Backoff({ initialMs: 100, maxMs: 400, sleep: clock.sleep, signal: controller.signal });
    const running = signalled.wait();
    await settle();
    controller.abort();
    await running;
    expect(signalled.isStopped).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it("the real sleep resolves early on abort", async () => {
    const controller = new AbortController();
    const slept = sleep(3_600_000, controller.signal);
    controller.abort();
    await slept;
    await sleep(0);
    await sleep(5, AbortSignal.abort());
  });
});
