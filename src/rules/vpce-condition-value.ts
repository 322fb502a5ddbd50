import { describeRef, policyPath } from "../model/refs.js";
import { conditionsOnKey, hasWildcard, isDenyUnless, type ConditionHit } from "./policy-query.js";
import { carriedPolicies } from "./policy-views.js";
import type { Rule, RuleFinding } from "./rule.js";
import type { PolicyField } from "../model/types.js";

interface IdKind {
  key: string;
  prefix: "vpce-" | "vpc-";
  what: string;
}

const ID_KINDS: IdKind[] = [
  { key: "aws:SourceVpce", prefix: "vpce-", what: "a VPC endpoint id" },
  { key: "aws:SourceVpc", prefix: "vpc-", what: "a VPC id" },
];

const HEX_IDS: Record<IdKind["prefix"], RegExp> = { "vpce-": /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/, "vpc-": /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/ };
const LIKE_OPERATORS = new Set(["StringLike", "StringNotLike"]);

/** A wildcard pattern that can still match a well-formed id: prefix, then hex digits or wildcards. */
function plausiblePattern(value: string, prefix: string): boolean {
  if (value === "*") return true;
  return new RegExp(`^${prefix.replace("-", "\\-")}[0-9a-f*?]*$`).test(value) || /^[*?]+[0-9a-f*?-]*$/.test(value);
}

function problemWith(value: string, kind: IdKind, hit: ConditionHit): string | undefined {
  const like = hit.condition.baseOperator !== undefined && LIKE_OPERATORS.has(hit.condition.baseOperator);
  if (hasWildcard(value)) {
    if (!like) return `"${value}" contains a wildcard, but ${hit.condition.operator} compares literally; wildcards work only with StringLike or StringNotLike`;
    return plausiblePattern(value, kind.prefix) ? undefined : `"${value}" cannot match ${kind.what} (${kind.prefix} followed by 8 or 17 hex digits)`;
  }
  if (HEX_IDS[kind.prefix].test(value)) return undefined;
  if (value.startsWith("arn:")) return `"${value}" is an ARN; ${kind.key} takes ${kind.what} such as ${kind.prefix}1a2b3c4d, not an ARN`;
  return `"${value}" is not ${kind.what} (${kind.prefix} followed by 8 or 17 lower-case hex digits)`;
}

function check(field: PolicyField, subjectLabel: string): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const kind of ID_KINDS) {
    for (const hit of conditionsOnKey(field.document, kind.key)) {
      const path = policyPath(field, hit.condition.path);
      for (const value of hit.condition.values) {
        const problem = problemWith(value, kind, hit);
        if (!problem) continue;
        const lockout = isDenyUnless(hit)
          ? ` Because this is a Deny with ${hit.condition.operator}, no request can ever match it: everyone, administrators included, is locked out.`
          : "";
        findings.push({
          message: `${subjectLabel}: ${path}: ${problem}.${lockout}`,
          fix: `Write ${kind.what} such as ${kind.prefix}0a1b2c3d4e5f67890 in ${path}${kind.prefix === "vpce-" ? " (the id, not the endpoint ARN)" : ""}.`,
          path,
        });
      }
    }
  }
  return findings;
}

/** Guide, "Restricting access to a specific endpoint / VPC": the conditions take ids, not ARNs. */
export const vpceConditionValue: Rule = {
  id: "vpce-condition-value",
  defaultAction: "deny",
  guide: "Restricting access to a specific endpoint; Restricting access to a specific VPC",
  description: "aws:SourceVpce / aws:SourceVpc values that are not endpoint or VPC ids (an ARN is the classic error).",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject) {
    return carriedPolicies(subject).flatMap(({ field }) => check(field, describeRef(subject.ref)));
  },
};
