import type { Condition, Statement } from "../iam/types.js";
import { describeRef, policyPath } from "../model/refs.js";
import type { ModelObject, PolicyField } from "../model/types.js";
import { conditionsOnKey } from "../iam/policy-query.js";
import { hasPolicyVariable, hasWildcard } from "../iam/wildcard.js";
import { bucketPolicyView, carriedPolicies } from "./policy-views.js";
import { ALL_S3_ACTIONS, askRemembered, bucketResources, explainWitness, byExplicitDeny, identityOf } from "./questions.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";
import { keptPerObject } from "../util/kept-per-object.js";

const RULE = "vpce-condition-value";

interface IdKind {
  key: string;
  prefix: "vpce-" | "vpc-";
  what: string;
}

const ID_KINDS: IdKind[] = [
  { key: "aws:SourceVpce", prefix: "vpce-", what: "a VPC endpoint id" },
  { key: "aws:SourceVpc", prefix: "vpc-", what: "a VPC id" },
];

const HEX_IDS: Record<IdKind["prefix"], RegExp> = {
  "vpce-": /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/,
  "vpc-": /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/,
};
const LIKE_OPERATORS = new Set(["StringLike", "StringNotLike"]);
/** Operators that compare the value as an id (Null, Bool, … take other values and are checked elsewhere). */
const ID_OPERATORS = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
]);
const NEGATED = new Set(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"]);

/** A wildcard pattern that can still match a well-formed id: prefix, then hex digits or wildcards. */
const PLAUSIBLE_PATTERNS: Record<IdKind["prefix"], RegExp> = { "vpce-": /^vpce-[0-9a-f*?]*$/, "vpc-": /^vpc-[0-9a-f*?]*$/ };

function plausiblePattern(value: string, prefix: IdKind["prefix"]): boolean {
  if (value === "*") return true;
  return PLAUSIBLE_PATTERNS[prefix].test(value) || /^[*?]+[0-9a-f*?-]*$/.test(value);
}

/** Each condition's problems, per kind of id, kept with the condition (a policy reviewed again is not read again). */
const problemsByKind = new Map(ID_KINDS.map((kind) => [kind, keptPerObject((condition: Condition) => problemsWith(condition, kind))]));

/** Each value's problem (undefined: fine), or undefined when all are fine — no array made then, the common case. */
function problemsWith(condition: Condition, kind: IdKind): (string | undefined)[] | undefined {
  let problems: (string | undefined)[] | undefined;
  for (let index = 0; index < condition.values.length; index++) {
    const problem = problemWith(condition.values[index] as string, kind, condition);
    if (problem === undefined) continue;
    problems ??= new Array<string | undefined>(condition.values.length).fill(undefined);
    problems[index] = problem;
  }
  return problems;
}

function problemWith(value: string, kind: IdKind, condition: Condition): string | undefined {
  const like = condition.baseOperator !== undefined && LIKE_OPERATORS.has(condition.baseOperator);
  // The …IgnoreCase operators compare without case: VPCE-0A1B… names vpce-0a1b….
  const folded = condition.baseOperator?.endsWith("IgnoreCase") ? value.toLowerCase() : value;
  // A policy variable is replaced by a request value: nothing can be said about the text.
  if (hasPolicyVariable(folded)) return undefined;
  if (like && hasWildcard(folded)) {
    return plausiblePattern(folded, kind.prefix)
      ? undefined
      : `"${value}" cannot match ${kind.what} (${kind.prefix} followed by 8 or 17 hex digits)`;
  }
  if (HEX_IDS[kind.prefix].test(folded)) return undefined;
  if (hasWildcard(folded))
    return `"${value}" contains a wildcard, but ${condition.operator} compares literally; wildcards work only with StringLike or StringNotLike`;
  if (folded.startsWith("arn:")) return `"${value}" is an ARN; ${kind.key} takes ${kind.what} such as ${kind.prefix}1a2b3c4d, not an ARN`;
  return `"${value}" is not ${kind.what} (${kind.prefix} followed by 8 or 17 lower-case hex digits)`;
}

/**
 * A Deny "unless the request comes from one of these ids" whose ids are all malformed matches
 * every request that carries the key (no real id equals them) — and every request when the
 * key may be absent. Whether that locks everyone out depends on the statement's other
 * conditions and elements, so the statement is asked about every request to the bucket.
 */
function lockoutNote(
  statement: Statement,
  condition: Condition,
  kind: IdKind,
  scope: { endpoint: boolean; bucketName: string | undefined; bucketRegion: string | undefined },
  ctx: RuleContext,
): string {
  const { bucketName, bucketRegion } = scope;
  const { verdict, witnesses } = askRemembered(
    RULE,
    ctx,
    `${identityOf(statement)}|${identityOf(condition)}|${kind.key}|${bucketName}|${bucketRegion}`,
    () => ({
      layers: [[{ version: undefined, id: undefined, statements: [statement] }]],
      // A real request carries a well-formed id or none: never one of the malformed values.
      space: {
        actions: ALL_S3_ACTIONS,
        resources: bucketResources(bucketName, bucketRegion),
        keys: { [kind.key]: { kind: "free", except: condition.values } },
      },
      ...byExplicitDeny,
      focus: "denied",
    }),
    "denied",
  );
  const target = scope.endpoint ? "S3 through this endpoint" : bucketName ? `bucket ${bucketName}` : "the bucket";
  if (verdict === "always") {
    return ` No id can ever equal these values, so this Deny with ${condition.operator} matches every request to ${target}: everyone, administrators included, is locked out.`;
  }
  if (verdict === "sometimes") {
    return ` No id can ever equal these values, so this Deny with ${condition.operator} applies whenever its other conditions hold, e.g. ${explainWitness(witnesses.get("denied")!, 0, [statement], "is denied by")}.`;
  }
  return "";
}

function check(field: PolicyField, subject: ModelObject, ctx: RuleContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  // Looked up only for a lock-out note: most policies have no malformed id at all.
  let view: ReturnType<typeof bucketPolicyView> | undefined;
  const bucketView = () =>
    (view ??= subject.type === "Bucket" || subject.type === "BucketPolicy" ? bucketPolicyView(subject, ctx.inventory) : undefined);
  for (const [kind, problemsOf] of problemsByKind) {
    const hits = conditionsOnKey(field.document, kind.key);
    // An index, not for…of: here V8 made an iterator result per condition (measured: 6.8 KB per
    // review of a 20 KB policy with a condition in each of its 100 statements, the only
    // allocation of a review that grew with the policy).
    for (let at = 0; at < hits.length; at++) {
      const { statement, condition } = hits[at]!;
      if (!condition.baseOperator || !ID_OPERATORS.has(condition.baseOperator)) continue;
      const problems = problemsOf(condition);
      if (!problems) continue;
      const allBad = problems.every((problem) => problem !== undefined);
      const lockout =
        allBad && statement.effect === "Deny" && NEGATED.has(condition.baseOperator)
          ? lockoutNote(
              statement,
              condition,
              kind,
              { endpoint: subject.type === "Endpoint", bucketName: bucketView()?.bucketName, bucketRegion: bucketView()?.bucketRegion },
              ctx,
            )
          : "";
      problems.forEach((problem, index) => {
        if (!problem) return;
        // Point at the offending array element when the condition lists several values.
        const path = policyPath(field, condition.values.length > 1 ? `${condition.path}[${index}]` : condition.path);
        const dead = allBad ? "" : " The other values still work: this entry is dead, not a lock-out.";
        findings.push({
          message: `${describeRef(subject.ref)}: ${path}: ${problem}.${dead}${lockout}`,
          fix: `Write ${kind.what} such as ${kind.prefix}0a1b2c3d4e5f67890 in ${path}${kind.prefix === "vpce-" ? " (the id, not the endpoint ARN)" : ""}.`,
          path,
        });
      });
    }
  }
  return findings;
}

/** Guide, "Restricting access to a specific endpoint / VPC": the conditions take ids, not ARNs. */
export const vpceConditionValue: Rule = {
  id: RULE,
  defaultAction: "deny",
  guide: "Restricting access to a specific endpoint; Restricting access to a specific VPC",
  description: "aws:SourceVpce / aws:SourceVpc values that are not endpoint or VPC ids (an ARN is the classic error).",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject, ctx) {
    return carriedPolicies(subject).flatMap(({ field }) => check(field, subject, ctx));
  },
};
