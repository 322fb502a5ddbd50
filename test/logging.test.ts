import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { componentLogger, createLogger, logRateLimiter } from "../src/platform/telemetry/logging.js";

describe("logRateLimiter", () => {
  it("lets a burst of N lines through, then N a second, and reports how many it held back on the next one", () => {
    let now = 0;
    const limited = logRateLimiter(3, () => now);
    const written: Array<{ suppressedSinceLast?: number }> = [];
    for (let i = 0; i < 10; i++) limited((extra) => written.push(extra));
    expect(written).toEqual([{}, {}, {}]);
    now = 333; // 0.999 of a line refilled
    limited((extra) => written.push(extra));
    expect(written).toHaveLength(3);
    now = 334;
    limited((extra) => written.push(extra));
    expect(written.at(-1)).toEqual({ suppressedSinceLast: 8 });
    now = 1_334; // a quiet second refills the burst, not more
    for (let i = 0; i < 5; i++) limited((extra) => written.push(extra));
    expect(written.slice(4)).toEqual([{}, {}, {}]);
  });
});

describe("componentLogger", () => {
  it("puts the component in a field, once, also when a component's logger is handed on", () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter(Boolean)));
    const root = createLogger({ destination: out });
    const inventory = componentLogger(root, "inventory");
    inventory.info("first sync complete");
    componentLogger(inventory, "watch").info({ resource: "Bucket.s3.aws.upbound.io" }, "initial list complete");
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { component: "inventory", msg: "first sync complete" },
      { component: "watch", resource: "Bucket.s3.aws.upbound.io", msg: "initial list complete" },
    ]);
    expect(lines[1]!.match(/"component"/g)).toHaveLength(1);
  });
});
