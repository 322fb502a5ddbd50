import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecentlyUsedMap } from "../../src/core/util/recently-used-map.js";

describe("RecentlyUsedMap", () => {
  it("drops the oldest entry not used since, keeping one that was read", () => {
    const map = new RecentlyUsedMap<string, number>(3);
    map.set("a", 1);
    map.set("b", 2);
    map.set("c", 3);
    expect(map.get("a")).toBe(1);
    map.set("d", 4); // "a" was read: "b" goes
    expect([map.get("a"), map.get("b"), map.get("c"), map.get("d")]).toEqual([1, undefined, 3, 4]);
    expect(map.size).toBe(3);
  });

  it("bounds the total weight, never stores an entry heavier than the capacity, and replaces a key's entry", () => {
    const map = new RecentlyUsedMap<string, string>(10);
    map.set("big", "x", 11);
    expect(map.get("big")).toBeUndefined();
    map.set("a", "1", 6);
    map.set("b", "2", 4);
    map.set("a", "3", 6); // replaces a, still fits beside b
    expect([map.get("a"), map.get("b")]).toEqual(["3", "2"]);
    // Needs 3: both were read, so both get a second chance; then "b", older since "a" was
    // replaced, is the first unused entry and goes. "a" stays.
    map.set("c", "4", 3);
    expect([map.get("a"), map.get("b"), map.get("c")]).toEqual(["3", undefined, "4"]);
    map.delete("a");
    expect(map.get("a")).toBeUndefined();
    expect(map.size).toBe(1);
  });

  it("tells onEvict of each entry dropped to make room, not of a delete or a replaced value", () => {
    const evicted: string[] = [];
    const map = new RecentlyUsedMap<string, number>(2, (key, value) => evicted.push(`${key}=${value}`));
    map.set("a", 1);
    map.set("b", 2);
    map.set("b", 3);
    map.delete("a");
    expect(evicted).toEqual([]);
    map.set("c", 4);
    map.set("d", 5);
    expect(evicted).toEqual(["b=3"]);
  });

  it("holds the last value set for every key it still has, within its capacity (property)", () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 20 }), weight: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const map = new RecentlyUsedMap<number, number>(30);
        const last = new Map<number, { value: number; weight: number }>();
        operations.forEach((op, step) => {
          if (op.kind === "set") {
            map.set(op.key, step, op.weight);
            last.set(op.key, { value: step, weight: op.weight });
          } else if (op.kind === "delete") {
            map.delete(op.key);
            last.delete(op.key);
          } else {
            const value = map.get(op.key);
            if (value !== undefined) expect(value).toBe(last.get(op.key)!.value);
          }
        });
        let weight = 0;
        for (const [key, { value, weight: w }] of last) {
          const held = map.get(key);
          if (held === undefined) continue;
          expect(held).toBe(value);
          weight += w;
        }
        expect(weight).toBeLessThanOrEqual(30);
      }),
    );
  });
});
