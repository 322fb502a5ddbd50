import { describeRef, policyPath } from "../model/refs.js";
import { conditionsOnKey, hasWildcard, isDenyUnless } from "./policy-query.js";
import { bucketPolicyView } from "./policy-views.js";
import type { Rule, RuleFinding } from "./rule.js";

const ID = { "aws:SourceVpce": /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/, "aws:SourceVpc": /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/ } as const;

/**
 * Guide, "Restricting access to a specific endpoint / VPC": a bucket policy that requires
 * an endpoint or VPC nobody has is either dead or, as Deny + StringNotEquals, a lock-out.
 * Only reported when the inventory is complete (else "unknown" just means "not seen yet").
 */
export const unknownEndpointReference: Rule = {
  id: "unknown-endpoint-reference",
  defaultAction: "warn",
  guide: "Restricting access to a specific endpoint; Restricting access to a specific VPC",
  description: "Bucket policy that requires aws:SourceVpce / aws:SourceVpc ids that no known endpoint or VPC has.",
  appliesTo: ["Bucket", "BucketPolicy"],
  needsCompleteInventory: true,
  check(subject, ctx) {
    if (subject.type !== "Bucket" && subject.type !== "BucketPolicy") return [];
    const view = bucketPolicyView(subject, ctx.inventory);
    if (!view) return [];
    const findings: RuleFinding[] = [];
    for (const key of ["aws:SourceVpce", "aws:SourceVpc"] as const) {
      // "undetermined" (AWS not asked yet) is not "unknown": report only what is known to be missing.
      const known = (id: string) =>
        (key === "aws:SourceVpce" ? ctx.inventory.endpointIdStatus(id) : ctx.inventory.vpcIdStatus(id)) !== "unknown";
      for (const hit of conditionsOnKey(view.field.document, key)) {
        const path = policyPath(view.field, hit.condition.path);
        for (const id of hit.condition.values) {
          // Malformed ids are vpce-condition-value's business.
          if (hasWildcard(id) || !ID[key].test(id) || known(id)) continue;
          const what = key === "aws:SourceVpce" ? "endpoint" : "VPC";
          const lock = isDenyUnless(hit)
            ? ` With Deny + ${hit.condition.operator}, every request to ${view.bucketName ?? "the bucket"} is denied until such an ${what} exists: the bucket is locked.`
            : "";
          findings.push({
            message: `${describeRef(subject.ref)}: ${path} requires ${what} ${id}, which no known ${what} has (not in the cluster${ctx.inventory.facts ? " nor in AWS" : ""}).${lock}`,
            fix: `Use the id of an existing S3 ${what} (status id of a VPCEndpoint), or create that ${what} first.`,
            path,
          });
        }
      }
    }
    return findings;
  },
};
