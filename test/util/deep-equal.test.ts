import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deepEqual } from "../../src/core/util/deep-equal.js";

describe("deepEqual", () => {
  it("agrees with node:util isDeepStrictEqual on JSON-shaped values (the model's data)", () => {
    const value = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(deepEqual(a, b)).toBe(isDeepStrictEqual(a, b));
        expect(deepEqual(a, structuredClone(a))).toBe(true);
      }),
      { seed: 14, numRuns: 500 },
    );
  });

  it("compares Maps, Sets and Dates by content, and tells arrays from objects", () => {
    expect(deepEqual(new Map([["a", { x: 1 }]]), new Map([["a", { x: 1 }]]))).toBe(true);
    expect(deepEqual(new Map([["a", 1]]), new Map([["a", 2]]))).toBe(false);
    expect(deepEqual(new Set(["a", "b"]), new Set(["b", "a"]))).toBe(true);
    expect(deepEqual(new Set(["a"]), new Set(["b"]))).toBe(false);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual([1], { 0: 1 })).toBe(false);
    expect(deepEqual({ a: undefined }, {})).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
  });
});
