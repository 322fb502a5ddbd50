import { describe, expect, it } from "vitest";
import { keptPerObject } from "../../src/core/util/kept-per-object.js";

describe("keptPerObject", () => {
  it("computes once per object, an undefined answer included, and apart for each object", () => {
    const asked: object[] = [];
    const firstEven = keptPerObject((list: number[]) => {
      asked.push(list);
      return list.find((n) => n % 2 === 0);
    });
    const odd = [1, 3];
    const even = [1, 4];
    expect(firstEven(odd)).toBeUndefined();
    expect(firstEven(even)).toBe(4);
    expect(firstEven(odd)).toBeUndefined();
    expect(firstEven(even)).toBe(4);
    // An equal but distinct object is another key.
    expect(firstEven([1, 4])).toBe(4);
    expect(asked).toHaveLength(3);
    expect(asked.slice(0, 2)).toEqual([odd, even]);
  });
});
