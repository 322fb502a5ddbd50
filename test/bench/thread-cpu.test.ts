// bench/webhook-process.mjs's CPU readers, which the webhook bench splits into the main thread
// and the rest (V8's collector helpers) with: the main thread's share is part of the process's
// total and grows with work done on it.
import { describe, expect, it } from "vitest";
import { cpuSeconds, mainThreadCpuSeconds } from "../../bench/webhook-process.mjs";

const total = (t: { user: number; system: number }) => t.user + t.system;
const threadCpuMicros = () => {
  const { user, system } = process.threadCpuUsage();
  return user + system;
};

describe("main-thread CPU of a process", () => {
  it("is at most the process's total and counts work done on the main thread", () => {
    const before = mainThreadCpuSeconds(process.pid);
    // Spin for 300 ms of this thread's CPU, not of wall time: on a loaded CI machine 300 ms of
    // wall time gave the thread only 190 ms. Node's own counter is the independent measure.
    const start = threadCpuMicros();
    const deadline = Date.now() + 20_000;
    let spin = 0;
    while (threadCpuMicros() - start < 300_000 && Date.now() < deadline) spin += Math.sqrt(spin + 1);
    const spun = (threadCpuMicros() - start) / 1e6;
    expect(spun).toBeGreaterThanOrEqual(0.3);
    const after = mainThreadCpuSeconds(process.pid);
    // /proc counts in 10 ms ticks.
    expect(total(after) - total(before)).toBeGreaterThanOrEqual(spun - 0.05);
    expect(total(after)).toBeLessThanOrEqual(total(cpuSeconds(process.pid)));
  });
});
