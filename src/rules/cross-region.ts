import { parseS3Arn } from "../iam/index.js";
import { describeRef, policyPath } from "../model/refs.js";
import type { Endpoint } from "../model/types.js";
import { conditionsOnKey, hasWildcard } from "./policy-query.js";
import { bucketPolicyView, isGateway, isS3Endpoint } from "./policy-views.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";

/**
 * AWS added cross-region S3 Interface endpoints in Nov 2025: at awsFeatureLevel "current",
 * an Interface endpoint that declares serviceRegion equal to its service name's region is
 * cross-region on purpose. Gateway endpoints stay same-region.
 */
function isDeliberateCrossRegion(e: Endpoint, ctx: RuleContext): boolean {
  return (
    ctx.config.awsFeatureLevel === "current" &&
    !isGateway(e) &&
    e.serviceRegion !== undefined &&
    e.serviceRegion.value === e.serviceNameRegion
  );
}

function endpointServiceRegion(e: Endpoint, ctx: RuleContext): string | undefined {
  return isDeliberateCrossRegion(e, ctx) ? e.serviceNameRegion : e.region?.value;
}

function checkEndpoint(e: Endpoint, ctx: RuleContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const who = describeRef(e.ref);
  // (a) service name in another region than the endpoint.
  if (e.serviceName && e.region && e.serviceNameRegion && e.serviceNameRegion !== e.region.value && !isDeliberateCrossRegion(e, ctx)) {
    findings.push({
      message: `${who}: ${e.serviceName.path} is ${e.serviceName.value} (region ${e.serviceNameRegion}) but the endpoint is in ${e.region.value} (${e.region.path}); S3 endpoints do not serve requests across regions.`,
      fix: `Use com.amazonaws.${e.region.value}.s3 in ${e.serviceName.path}, or create the endpoint in ${e.serviceNameRegion}.`,
      path: e.serviceName.path,
    });
  }
  // (c) endpoint policy naming a bucket known to be in another region.
  const region = endpointServiceRegion(e, ctx);
  if (e.policy?.document && region) {
    const reported = new Set<string>();
    for (const statement of e.policy.document.statements) {
      if (statement.effect !== "Allow") continue;
      (statement.resource ?? []).forEach((resource, i) => {
        const arn = parseS3Arn(resource);
        if (!arn || hasWildcard(arn.bucket) || reported.has(arn.bucket)) return;
        const bucket = ctx.inventory.bucketsNamed(arn.bucket).find((b) => b.region && b.region.value !== region);
        if (!bucket?.region) return;
        reported.add(arn.bucket);
        const path = policyPath(e.policy!, `${statement.path}.Resource${statement.resource!.length > 1 || i > 0 ? `[${i}]` : ""}`);
        findings.push({
          message: `${who}: ${path} grants bucket ${arn.bucket}, which is in ${bucket.region.value} (${describeRef(bucket.ref)}), but this endpoint serves ${region}: the bucket is unreachable through it.`,
          fix: `Reach ${arn.bucket} through an S3 endpoint in ${bucket.region.value}, or remove it from this endpoint policy.`,
          path,
          cap: "warn",
        });
      });
    }
  }
  return findings;
}

/**
 * Guide, fourth bullet: endpoints do not serve cross-region requests; the endpoint must be
 * in the bucket's region (US Standard is us-east-1).
 */
export const crossRegion: Rule = {
  id: "cross-region",
  defaultAction: "deny",
  guide: "Endpoints for Amazon S3 (fourth note: no cross-region requests; US Standard = us-east-1)",
  description: "Endpoint, bucket policy or endpoint policy that relies on S3 access across regions.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject, ctx) {
    if (subject.type === "Endpoint") return isS3Endpoint(subject) ? checkEndpoint(subject, ctx) : [];
    if (subject.type !== "Bucket" && subject.type !== "BucketPolicy") return [];
    // (b) bucket policy restricted to an endpoint or VPC in another region.
    const view = bucketPolicyView(subject, ctx.inventory);
    const bucketRegion = view?.bucketRegion;
    if (!view || !bucketRegion) return [];
    const findings: RuleFinding[] = [];
    const who = describeRef(subject.ref);
    const bucket = view.bucketName ?? "this bucket";
    for (const { condition } of conditionsOnKey(view.field.document, "aws:SourceVpce")) {
      for (const id of condition.values) {
        if (hasWildcard(id)) continue;
        const endpoints = ctx.inventory.endpointsWithAwsId(id);
        const reachable = endpoints.some((e) => endpointServiceRegion(e, ctx) === bucketRegion);
        const region = endpoints.length > 0 ? endpoints[0]!.region?.value : ctx.inventory.regionOfEndpointId(id);
        if (reachable || !region || region === bucketRegion) continue;
        const path = policyPath(view.field, condition.path);
        findings.push({
          message: `${who}: ${path} requires endpoint ${id}, which is in ${region}, but bucket ${bucket} is in ${bucketRegion}: requests through that endpoint cannot reach the bucket.`,
          fix: `Name an S3 endpoint in ${bucketRegion} in ${path}.`,
          path,
        });
      }
    }
    for (const { condition } of conditionsOnKey(view.field.document, "aws:SourceVpc")) {
      for (const id of condition.values) {
        if (hasWildcard(id)) continue;
        const region = ctx.inventory.regionOfVpc(id);
        if (!region || region === bucketRegion) continue;
        const path = policyPath(view.field, condition.path);
        findings.push({
          message: `${who}: ${path} requires VPC ${id}, which is in ${region}, but bucket ${bucket} is in ${bucketRegion}: the VPC's S3 endpoints cannot reach the bucket.`,
          fix: `Name a VPC in ${bucketRegion} in ${path}.`,
          path,
        });
      }
    }
    return findings;
  },
};
