import { describeRef, policyPath } from "../model/refs.js";
import type { Rule, RuleFinding } from "./rule.js";
import { carriedPolicies } from "./policy-views.js";

/**
 * Guide, "Using endpoint policies" and the policy examples: a policy that AWS would reject,
 * or that does not mean what it seems to, is reported with the exact field. Non-S3
 * actions are only a note (warn): they do nothing in an S3 endpoint or bucket policy.
 */
export const policyInvalid: Rule = {
  id: "policy-invalid",
  defaultAction: "deny",
  guide: "Using endpoint policies for Amazon S3; example policies",
  description: "Endpoint or bucket policy that is not valid JSON or not valid IAM policy grammar.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject) {
    const findings: RuleFinding[] = [];
    for (const { field, kind } of carriedPolicies(subject)) {
      for (const issue of field.issues) {
        findings.push({
          message: `${describeRef(subject.ref)}: ${kind} policy in ${policyPath(field, issue.path)}: ${issue.message}`,
          fix:
            issue.severity === "error"
              ? `Correct ${policyPath(field, issue.path)} so that the ${kind} policy is valid IAM JSON.`
              : `Remove or correct ${policyPath(field, issue.path)}.`,
          path: policyPath(field, issue.path),
          ...(issue.severity === "warning" ? { cap: "warn" as const } : {}),
        });
      }
    }
    return findings;
  },
};
