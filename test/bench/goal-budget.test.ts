// What the webhook goal leaves for the review (bench/webhook-load.mjs --layers prints it): the
// margin 0.7 of the bare rate allows beyond the bare server, less what the answers take.
import { describe, expect, it } from "vitest";
import { goalBudget } from "../../bench/webhook-process.mjs";

describe("goalBudget", () => {
  it("splits bare / 0.7 into the bare server's work, the answers' and the review's share", () => {
    // The `--layers 6` run of 2026-12-04 evening: bare 77 µs, answers recalled 102, serve 171.
    const budget = goalBudget({ bare: 77, recalled: 102, reviewing: 171 });
    expect(budget.perRequest).toBeCloseTo(110, 0);
    expect(budget.beyondBare).toBeCloseTo(33, 0);
    expect(budget.answers).toBe(25);
    expect(budget.forReview).toBeCloseTo(8, 0);
    expect(budget.review).toBe(69);
  });

  it("leaves nothing for the review when the answers alone take the whole margin", () => {
    const budget = goalBudget({ bare: 70, recalled: 100, reviewing: 100 });
    expect(budget.beyondBare).toBeCloseTo(30, 6);
    expect(budget.forReview).toBeCloseTo(0, 6);
  });

  it("takes another ratio", () => {
    expect(goalBudget({ bare: 50, recalled: 50, reviewing: 60, ratio: 0.5 }).forReview).toBeCloseTo(50, 6);
  });
});
