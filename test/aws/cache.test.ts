import { describe, expect, it } from "vitest";
import { TtlCache } from "../../src/platform/aws/cache.js";
import { parseDurationMs } from "../../src/core/util/duration.js";

function clock(start = 1_000) {
  const c = { now: start, tick: (ms: number) => (c.now += ms), read: () => c.now };
  return c;
}

describe("TtlCache", () => {
  it("serves an entry fresh until the TTL, then stale, then forgets it", () => {
    const time = clock();
    const cache = new TtlCache<string, number>({ ttlMs: 60_000, staleForMs: 30_000, clock: time.read });
    cache.set("a", 1);
    expect(cache.get("a")).toEqual({ value: 1, stale: false, storedAt: 1_000 });
    time.tick(59_999);
    expect(cache.get("a")?.stale).toBe(false);
    time.tick(1);
    expect(cache.get("a")).toMatchObject({ value: 1, stale: true });
    time.tick(29_999);
    expect(cache.get("a")?.stale).toBe(true);
    time.tick(1);
    expect(cache.get("a")).toBeUndefined();
  });

  it("stays stale for one more TTL by default", () => {
    const time = clock();
    const cache = new TtlCache<string, string>({ ttlMs: 100, clock: time.read });
    cache.set("k", "v");
    time.tick(199);
    expect(cache.get("k")?.stale).toBe(true);
    time.tick(1);
    expect(cache.get("k")).toBeUndefined();
  });

  it("restarts the TTL when an entry is replaced", () => {
    const time = clock();
    const cache = new TtlCache<string, number>({ ttlMs: 100, clock: time.read });
    cache.set("k", 1);
    time.tick(150);
    cache.set("k", 2);
    expect(cache.get("k")).toEqual({ value: 2, stale: false, storedAt: 1_150 });
  });

  it("lists live entries only", () => {
    const time = clock();
    const cache = new TtlCache<string, number>({ ttlMs: 100, staleForMs: 0, clock: time.read });
    cache.set("old", 1);
    time.tick(100);
    cache.set("new", 2);
    expect([...cache.live()].map(([k]) => k)).toEqual(["new"]);
  });
});

describe("parseDurationMs", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
  ])("reads %s", (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it("rejects other spellings", () => {
    expect(parseDurationMs("5 minutes")).toBeUndefined();
    expect(parseDurationMs("-1s")).toBeUndefined();
  });
});
