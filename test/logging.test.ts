import { describe, expect, it } from "vitest";
import { logRateLimiter } from "../src/platform/telemetry/logging.js";

describe("logRateLimiter", () => {
  it("lets N lines a second through and reports how many it held back on the next one", () => {
    let now = 0;
    const limited = logRateLimiter(3, () => now);
    const written: Array<{ suppressedSinceLast?: number }> = [];
    for (let i = 0; i < 10; i++) limited((extra) => written.push(extra));
    expect(written).toEqual([{}, {}, {}]);
    now = 999;
    limited((extra) => written.push(extra));
    expect(written).toHaveLength(3);
    now = 1_000;
    limited((extra) => written.push(extra));
    expect(written.at(-1)).toEqual({ suppressedSinceLast: 8 });
    limited((extra) => written.push(extra));
    expect(written.at(-1)).toEqual({});
  });
});
