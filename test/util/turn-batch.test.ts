import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { turnBatcher } from "../../src/platform/util/turn-batch.js";

describe("turnBatcher", () => {
  it("runs nothing in the turn an item is queued, then every item of that turn in order", async () => {
    const ran: string[] = [];
    const queue = turnBatcher<string>(
      (item) => ran.push(item),
      () => undefined,
    );
    queue("a");
    queue("b");
    queue("c");
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual(["a", "b", "c"]);
  });

  it("starts a new batch for items queued in a later turn", async () => {
    const batches: string[][] = [];
    let current: string[] = [];
    const queue = turnBatcher<string>(
      (item) => current.push(item),
      () => undefined,
    );
    queue("a");
    await nextTurn();
    batches.push(current);
    current = [];
    queue("b");
    queue("c");
    await nextTurn();
    batches.push(current);
    expect(batches).toEqual([["a"], ["b", "c"]]);
  });

  it("hands a failing item to onError and still runs the rest of its turn", async () => {
    const ran: number[] = [];
    const failed: Array<[string, number]> = [];
    const queue = turnBatcher<number>(
      (item) => {
        if (item === 2) throw new Error("boom");
        ran.push(item);
      },
      (error, item) => failed.push([(error as Error).message, item]),
    );
    for (const item of [1, 2, 3]) queue(item);
    await nextTurn();
    expect(ran).toEqual([1, 3]);
    expect(failed).toEqual([["boom", 2]]);
  });

  it("runs items queued while a batch runs in the next turn, not in the running one", async () => {
    const ran: string[] = [];
    const queue: (item: string) => void = turnBatcher<string>(
      (item) => {
        ran.push(item);
        if (item === "first") queue("queued by first");
      },
      () => undefined,
    );
    queue("first");
    await nextTurn();
    expect(ran).toEqual(["first"]);
    await nextTurn();
    expect(ran).toEqual(["first", "queued by first"]);
  });
});
