import { cidrsOverlap, isPrivateRange } from "../iam/index.js";
import { describeRef, policyPath } from "../model/refs.js";
import { conditionsOnKey } from "./policy-query.js";
import { carriedPolicies } from "./policy-views.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";

const FIX = "Use aws:SourceVpce (the endpoint id) or aws:SourceVpc (the VPC id) instead of aws:SourceIp for traffic that goes through a VPC endpoint.";

function vpcContaining(cidr: string, ctx: RuleContext): string | undefined {
  for (const vpc of ctx.inventory.facts?.vpcs() ?? []) {
    if (vpc.cidrBlocks.some((block) => cidrsOverlap(block, cidr))) return vpc.id;
  }
  return undefined;
}

/**
 * Guide, third bullet and "Using Amazon S3 bucket policies": through an endpoint S3 sees
 * private addresses, so aws:SourceIp never matches. A Deny+NotIpAddress then denies all
 * endpoint traffic, and a Deny+IpAddress never applies to it.
 */
export const sourceIpCondition: Rule = {
  id: "source-ip-condition",
  defaultAction: "deny",
  guide: "Endpoints for Amazon S3 (third note: aws:SourceIp); Using Amazon S3 bucket policies",
  description: "Bucket or endpoint policy that relies on aws:SourceIp, which never matches requests made through an endpoint.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject, ctx) {
    const findings: RuleFinding[] = [];
    for (const { field } of carriedPolicies(subject)) {
      for (const { statement, condition } of conditionsOnKey(field.document, "aws:SourceIp")) {
        const op = condition.baseOperator;
        if (op !== "IpAddress" && op !== "NotIpAddress") continue;
        const path = policyPath(field, condition.path);
        const who = `${describeRef(subject.ref)}: ${path}`;
        for (const value of condition.values) {
          const privateRange = isPrivateRange(value);
          const vpc = privateRange ? undefined : vpcContaining(value, ctx);
          if (privateRange || vpc) {
            findings.push({
              message: `${who} uses ${value}, ${vpc ? `which overlaps VPC ${vpc}` : "a private range"}; aws:SourceIp never matches private addresses of requests through a VPC endpoint.`,
              fix: FIX,
              path,
            });
          }
        }
        const sid = statement.sid ? ` (Sid ${statement.sid})` : "";
        if (statement.effect === "Deny" && op === "NotIpAddress") {
          findings.push({
            message: `${who}: Deny with NotIpAddress${sid} always matches requests through a VPC endpoint, so all endpoint traffic is denied.`,
            fix: FIX,
            path,
          });
        } else if (statement.effect === "Deny" && op === "IpAddress") {
          findings.push({
            message: `${who}: Deny with IpAddress${sid} never matches requests through a VPC endpoint, so endpoint traffic bypasses this deny.`,
            fix: FIX,
            path,
          });
        } else if (statement.effect === "Allow" && op === "IpAddress") {
          findings.push({
            message: `${who}: Allow with IpAddress${sid} never matches requests through a VPC endpoint, so it grants nothing to endpoint traffic.`,
            fix: FIX,
            path,
            cap: "warn",
          });
        } else if (statement.effect === "Allow" && op === "NotIpAddress") {
          findings.push({
            message: `${who}: Allow with NotIpAddress${sid} always matches requests through a VPC endpoint, so it grants this statement to all endpoint traffic.`,
            fix: FIX,
            path,
            cap: "warn",
          });
        }
      }
    }
    return findings;
  },
};
