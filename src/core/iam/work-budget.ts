/**
 * A per-review work budget: a step counter, not a clock. Matching, policy parsing, evaluation
 * and every rule run synchronously inside one review, so the engine opens a budget around the
 * review and the costly inner loops charge it; once the steps run out, the loop that noticed
 * throws WorkBudgetExceeded and the engine ends the review with a "not checked" answer.
 * A step is one unit of the inner loops (one character compared by the glob matcher, one
 * statement, one condition value, …): counting them keeps the bound independent of the
 * machine's speed and of other load, so tests can assert on it.
 *
 * Outside a review (library callers, tests) nothing is counted and nothing throws.
 */

export class WorkBudgetExceeded extends Error {
  constructor(
    readonly limit: number,
    /** What was being worked on when the budget ran out, e.g. "matching Resource patterns". */
    readonly activity: string,
  ) {
    super(`work budget of ${limit} steps exceeded while ${activity}`);
    this.name = "WorkBudgetExceeded";
  }
}

export interface WorkCounter {
  readonly limit: number;
  spent: number;
}

let current: WorkCounter | undefined;

/** Charges the open budget (if any); throws WorkBudgetExceeded once it is spent. */
export function chargeWork(steps: number, activity: string): void {
  const counter = current;
  if (counter === undefined) return;
  counter.spent += steps;
  if (counter.spent > counter.limit) throw new WorkBudgetExceeded(counter.limit, activity);
}

/** Whether a budget is open (a caller that wants to stop early rather than throw asks this). */
export function remainingWork(): number {
  return current === undefined ? Number.POSITIVE_INFINITY : current.limit - current.spent;
}

/**
 * Runs `work` with a budget of `limit` steps and reports what it spent. Inside an open budget
 * the work joins it instead (a review inside an admission decision shares the decision's
 * budget), so nesting never resets the count.
 */
export function withWorkBudget<T>(limit: number, work: () => T): { value: T; spent: number } {
  const previous = current;
  if (previous !== undefined) {
    const before = previous.spent;
    const value = work();
    return { value, spent: previous.spent - before };
  }
  const counter: WorkCounter = { limit, spent: 0 };
  current = counter;
  try {
    const value = work();
    return { value, spent: counter.spent };
  } finally {
    current = previous;
  }
}

export function isWorkBudgetExceeded(error: unknown): error is WorkBudgetExceeded {
  return error instanceof WorkBudgetExceeded;
}
