/**
 * Bounds on what one review may produce and spend, applied by the engine so that no rule has
 * to know them: at most MAX_FINDINGS_PER_RULE findings per rule and object (then one finding
 * that counts the rest), texts cut to a fixed length, and a work budget (config
 * `limits.workSteps`) after which the review ends with a "not checked" finding.
 */
import type { Config } from "../config.js";
import { isWorkBudgetExceeded, withWorkBudget, type WorkBudgetExceeded } from "../iam/work-budget.js";
import type { Finding, RuleAction } from "../model/findings.js";
import { describeRef } from "../model/refs.js";
import type { ModelObject, ResourceRef } from "../model/types.js";

export const MAX_FINDINGS_PER_RULE = 20;
export const MAX_MESSAGE_CHARS = 1000;
export const MAX_FIX_CHARS = 500;

export function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const ORDER: readonly RuleAction[] = ["off", "audit", "warn", "deny"];

/** Findings that stand for others (the count of the rest, "not checked"): no field of their own. */
const standIns = new WeakSet<Finding>();

/** Whether the finding counts or replaces other findings instead of naming one violation. */
export function isStandIn(finding: Finding): boolean {
  return standIns.has(finding);
}

function standIn(finding: Finding): Finding {
  standIns.add(finding);
  return finding;
}

/**
 * The first MAX_FINDINGS_PER_RULE findings of one rule, and one more that counts the rest
 * with the strictest action among them (so capping never softens a decision).
 */
export function capRuleFindings(findings: Finding[]): Finding[] {
  if (findings.length <= MAX_FINDINGS_PER_RULE) return findings;
  const kept = findings.slice(0, MAX_FINDINGS_PER_RULE);
  const rest = findings.slice(MAX_FINDINGS_PER_RULE);
  const strictest = rest.reduce((action, f) => (ORDER.indexOf(f.action) > ORDER.indexOf(action) ? f.action : action), rest[0]!.action);
  const first = kept[0]!;
  return [
    ...kept,
    standIn({
      rule: first.rule,
      action: strictest,
      message: `${describeRef(first.resource)}: … and ${rest.length} more ${first.rule} findings (only the first ${MAX_FINDINGS_PER_RULE} are listed)`,
      fix: "fix the findings listed and check again",
      guide: first.guide,
      resource: first.resource,
      path: "",
    }),
  ];
}

export interface NotChecked {
  /** Steps allowed (config limits.workSteps). */
  limit: number;
  /** What was being done when the budget ran out. */
  activity: string;
  /** The finding that stands for the review (policy-invalid; deny or warn per limits.onExceeded). */
  finding: Finding;
}

/** Statements and conditions of the object's policies, for the "too complex" message. */
function policySize(subject: ModelObject | undefined): { statements: number; conditions: number } | undefined {
  const policy = subject && "policy" in subject ? subject.policy : undefined;
  const statements = policy?.document?.statements;
  if (!statements) return undefined;
  return { statements: statements.length, conditions: statements.reduce((sum, s) => sum + s.conditions.length, 0) };
}

export function notCheckedFinding(config: Config, ref: ResourceRef, exceeded: WorkBudgetExceeded, subject?: ModelObject): NotChecked {
  const size = policySize(subject);
  const what = size ? `policy too complex (${size.statements} statements, ${size.conditions} conditions)` : "object too complex";
  return {
    limit: exceeded.limit,
    activity: exceeded.activity,
    finding: standIn({
      rule: "policy-invalid",
      action: config.limits.onExceeded === "deny" ? "deny" : "warn",
      message: `${describeRef(ref)}: not checked: ${what}; it needs more than the work limit of ${exceeded.limit} steps (ran out while ${exceeded.activity})`,
      fix: "split the policy or reduce its statements, conditions and wildcards (or raise limits.workSteps in the s3-vpce-guard config)",
      guide: "Using endpoint policies for Amazon S3; example policies",
      resource: ref,
      path: subject && "policy" in subject && subject.policy ? subject.policy.path : "",
    }),
  };
}

export type Budgeted<T> = { ok: true; value: T; spent: number } | { ok: false; exceeded: WorkBudgetExceeded };

/** Runs work within the config's budget (joining an open one); an exceeded budget is a value. */
export function withinBudget<T>(config: Config, work: () => T): Budgeted<T> {
  try {
    const { value, spent } = withWorkBudget(config.limits.workSteps, work);
    return { ok: true, value, spent };
  } catch (error) {
    if (isWorkBudgetExceeded(error)) return { ok: false, exceeded: error };
    throw error;
  }
}
