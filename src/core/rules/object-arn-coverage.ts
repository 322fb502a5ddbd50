import { s3ResourceLevel } from "../iam/index.js";
import { describeRef, policyPath } from "../model/refs.js";
import { hasWildcard } from "../iam/wildcard.js";
import { carriedPolicies } from "./policy-views.js";
import type { Rule, RuleFinding } from "./rule.js";

/** After "arn:partition:s3:::", the part that names bucket[/key]. */
function s3ResourcePart(resource: string): string | undefined {
  if (resource === "*") return "*";
  const m = /^arn:[^:]*:s3:::(.*)$/.exec(resource);
  return m?.[1];
}

const isObjectLevelAction = (a: string) => s3ResourceLevel(a) === "object";
const isBucketLevelAction = (a: string) => s3ResourceLevel(a) === "bucket";
const canBeObjectArn = (part: string) => part.includes("/") || part.includes("*");
const canBeBucketArn = (part: string) => !part.includes("/");

/**
 * The guide's bucket example lists both arn:aws:s3:::bucket and arn:aws:s3:::bucket/*:
 * object actions apply to object ARNs and bucket actions to the bucket ARN, so a grant
 * with only one kind of ARN is dead for the other kind of action.
 */
export const objectArnCoverage: Rule = {
  id: "object-arn-coverage",
  defaultAction: "warn",
  guide: "Restricting access to a specific bucket (the example lists both bucket and bucket/* ARNs)",
  description: "Object actions granted only on bucket ARNs, or bucket actions only on object ARNs.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject) {
    const findings: RuleFinding[] = [];
    for (const { field } of carriedPolicies(subject)) {
      for (const statement of field.document?.statements ?? []) {
        if (statement.effect !== "Allow" || !statement.action || !statement.resource) continue;
        const parts = statement.resource.map(s3ResourcePart).filter((p): p is string => p !== undefined);
        if (parts.length === 0) continue;
        const exact = statement.action.filter((a) => !hasWildcard(a));
        const objectActions = exact.filter(isObjectLevelAction);
        const bucketActions = exact.filter(isBucketLevelAction);
        const path = policyPath(field, `${statement.path}.Resource`);
        const who = describeRef(subject.ref);
        if (objectActions.length > 0 && !parts.some(canBeObjectArn)) {
          findings.push({
            message: `${who}: ${path} lists only bucket ARNs, so the object actions ${objectActions.join(", ")} in ${statement.path} grant nothing.`,
            fix: `Add the object ARN (arn:aws:s3:::<bucket>/*) to ${path}.`,
            path,
          });
        }
        if (bucketActions.length > 0 && !parts.some(canBeBucketArn)) {
          findings.push({
            message: `${who}: ${path} lists only object ARNs, so the bucket actions ${bucketActions.join(", ")} in ${statement.path} grant nothing.`,
            fix: `Add the bucket ARN (arn:aws:s3:::<bucket>, without /*) to ${path}.`,
            path,
          });
        }
      }
    }
    return findings;
  },
};
