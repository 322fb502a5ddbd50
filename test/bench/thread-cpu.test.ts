// bench/webhook-process.mjs's CPU readers, which the webhook bench splits into the main thread
// and the rest (V8's collector helpers) with: the main thread's share is part of the process's
// total and grows with work done on it.
import { describe, expect, it } from "vitest";
import { cpuSeconds, mainThreadCpuSeconds } from "../../bench/webhook-process.mjs";

const total = (t: { user: number; system: number }) => t.user + t.system;

describe("main-thread CPU of a process", () => {
  it("is at most the process's total and counts work done on the main thread", () => {
    const before = mainThreadCpuSeconds(process.pid);
    const end = Date.now() + 300;
    let spin = 0;
    while (Date.now() < end) spin += Math.sqrt(spin + 1);
    expect(spin).toBeGreaterThan(0);
    const after = mainThreadCpuSeconds(process.pid);
    expect(total(after) - total(before)).toBeGreaterThanOrEqual(0.2);
    expect(total(after)).toBeLessThanOrEqual(total(cpuSeconds(process.pid)));
  });
});
