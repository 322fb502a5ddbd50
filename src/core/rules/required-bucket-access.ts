import { evaluatePolicy } from "../iam/index.js";
import type { PolicyDocument } from "../iam/types.js";
import { describeRef } from "../model/refs.js";
import { declaredConsumers, needsOf, partitionOf, sampleArn } from "./consumers.js";
import { isS3Endpoint } from "./policy-views.js";
import type { Rule, RuleFinding } from "./rule.js";

/** Representative requests for "full S3 access" on a bucket the policy has never heard of. */
function fullAccessProbes(region: string): { action: string; resource: string }[] {
  const bucket = `arn:${partitionOf(region)}:s3:::s3vg-any-bucket`;
  return [
    { action: "s3:GetObject", resource: `${bucket}/s3vg-probe` },
    { action: "s3:PutObject", resource: `${bucket}/s3vg-probe` },
    { action: "s3:DeleteObject", resource: `${bucket}/s3vg-probe` },
    { action: "s3:ListBucket", resource: bucket },
  ];
}

const allows = (doc: PolicyDocument, action: string, resource: string) => evaluatePolicy({ action, resource }, doc).decision === "Allow";

/**
 * Guide, service table and "Enabling access to the Amazon Linux AMI repositories": AWS
 * services in the VPC use S3 buckets of their own, and a restricted endpoint policy must
 * still let them through.
 */
export const requiredBucketAccess: Rule = {
  id: "required-bucket-access",
  defaultAction: "warn",
  guide: "Endpoints for Amazon S3 (services that use S3 buckets); Enabling access to the Amazon Linux AMI repositories",
  description: "Restricted endpoint policy that does not allow the S3 buckets that declared AWS services or Amazon Linux need.",
  appliesTo: ["Endpoint"],
  check(subject, ctx) {
    if (!isS3Endpoint(subject)) return [];
    const { consumers, unknown } = declaredConsumers(subject, ctx);
    const who = describeRef(subject.ref);
    const findings: RuleFinding[] = unknown.map((name) => ({
      message: `${who}: annotation s3-vpce-guard.io/consumers names "${name}", which is not a known consumer.`,
      fix: "Use consumer ids from the README (cloudformation, codedeploy, amazon-linux, ecr, ssm, …).",
      path: 'metadata.annotations["s3-vpce-guard.io/consumers"]',
    }));
    // No policy means AWS's default full-access policy: every consumer is served.
    const doc = subject.policy?.document;
    const region = subject.region?.value ?? subject.serviceNameRegion;
    if (!subject.policy || !doc || !region) return findings;
    const path = subject.policy.path;
    for (const consumer of consumers) {
      const needs = needsOf(consumer, ctx);
      if (needs.fullAccess) {
        const denied = fullAccessProbes(region).filter((p) => !allows(doc, p.action, p.resource));
        if (denied.length > 0) {
          findings.push({
            message: `${who}: ${consumer.id} (declared in ${consumer.source}) needs full S3 access through the endpoint, but ${path} does not allow ${denied.map((d) => d.action).join(", ")} on arbitrary buckets.`,
            fix: `Allow s3:* on * in ${path} for this VPC's ${consumer.id} traffic, or route it through a subnet without this endpoint.`,
            path,
          });
        }
        continue;
      }
      for (const need of needs.buckets) {
        const sample = sampleArn(need.arn, region);
        const missing = need.actions.filter((action) => !allows(doc, action, sample));
        if (missing.length === 0) continue;
        const arn = need.arn.replaceAll("{regionNoDash}", region.replaceAll("-", "")).replaceAll("{region}", region);
        findings.push({
          message: `${who}: ${consumer.id} (declared in ${consumer.source}) needs ${missing.join(", ")} on ${arn}, which ${path} does not allow.`,
          fix: `Add an Allow statement for ${missing.join(", ")} on ${arn} to ${path}.`,
          path,
        });
      }
    }
    return findings;
  },
};
