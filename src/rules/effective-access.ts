import { evaluatePolicies, parseS3Arn, s3ResourceLevel } from "../iam/index.js";
import type { AccessRequest, PolicyDocument } from "../iam/types.js";
import { describeRef, policyPath } from "../model/refs.js";
import type { Bucket, Endpoint, PolicyField } from "../model/types.js";
import { conditionsOnKey, exactValuesOnKey, hasWildcard } from "./policy-query.js";
import { bucketPolicyView, effectiveBucketPolicies, isS3Endpoint, type BucketPolicyView } from "./policy-views.js";
import { partitionOf } from "./consumers.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";

function probeRequests(bucketName: string, region: string, actions: string[], endpoint: Endpoint): AccessRequest[] {
  const bucketArn = `arn:${partitionOf(region)}:s3:::${bucketName}`;
  const context = { "aws:SourceVpce": endpoint.awsId, "aws:SourceVpc": endpoint.vpc?.value };
  return actions.map((action) => ({
    action,
    resource: s3ResourceLevel(action) === "bucket" ? bucketArn : `${bucketArn}/s3vg-probe`,
    context,
  }));
}

const docsOf = (fields: PolicyField[]): PolicyDocument[] =>
  fields.map((f) => f.document).filter((d): d is PolicyDocument => d !== undefined);

/** Probe actions the endpoint's policy does not allow on the bucket (no policy = allow all). */
function deniedByEndpoint(endpoint: Endpoint, requests: AccessRequest[]): string[] {
  const doc = endpoint.policy?.document;
  if (!endpoint.policy) return [];
  if (!doc) return []; // an unreadable policy is policy-invalid's finding
  return requests.filter((r) => evaluatePolicies(r, [doc]).decision !== "Allow").map((r) => r.action);
}

/** Bucket side: the bucket admits only endpoint E / VPC V, but E (or every S3 endpoint of V) does not let the probes through. */
function checkBucketSide(view: BucketPolicyView, subjectLabel: string, ctx: RuleContext): RuleFinding[] {
  const { bucketName, bucketRegion } = view;
  if (!bucketName || !bucketRegion || hasWildcard(bucketName)) return [];
  const actions = ctx.config.probeActions;
  const findings: RuleFinding[] = [];
  for (const id of exactValuesOnKey(view.field.document, "aws:SourceVpce")) {
    for (const endpoint of ctx.inventory.endpointsWithAwsId(id).filter(isS3Endpoint)) {
      const denied = deniedByEndpoint(endpoint, probeRequests(bucketName, bucketRegion, actions, endpoint));
      if (denied.length === 0) continue;
      const path = policyPath(view.field, conditionsOnKey(view.field.document, "aws:SourceVpce")[0]!.condition.path);
      findings.push({
        message: `${subjectLabel}: ${path} admits only endpoint ${id}, but the endpoint policy of ${describeRef(endpoint.ref)} (${endpoint.policy!.path}) does not allow ${denied.join(", ")} on bucket ${bucketName}: those requests cannot succeed.`,
        fix: `Allow ${denied.join(", ")} on arn:aws:s3:::${bucketName} and arn:aws:s3:::${bucketName}/* in ${describeRef(endpoint.ref)} ${endpoint.policy!.path}, or admit an endpoint that does.`,
        path,
      });
    }
  }
  for (const vpcId of exactValuesOnKey(view.field.document, "aws:SourceVpc")) {
    const endpoints = ctx.inventory
      .endpointsInVpc(vpcId)
      .filter((e) => isS3Endpoint(e) && e.region?.value === bucketRegion);
    if (endpoints.length === 0) continue;
    const perEndpoint = endpoints.map((e) => deniedByEndpoint(e, probeRequests(bucketName, bucketRegion, actions, e)));
    // Denied only if no endpoint of the VPC lets the action through.
    const denied = actions.filter((a) => perEndpoint.every((d) => d.includes(a)));
    if (denied.length === 0) continue;
    const path = policyPath(view.field, conditionsOnKey(view.field.document, "aws:SourceVpc")[0]!.condition.path);
    findings.push({
      message: `${subjectLabel}: ${path} admits only VPC ${vpcId}, but none of its S3 endpoints in ${bucketRegion} (${endpoints.map((e) => describeRef(e.ref)).join(", ")}) allows ${denied.join(", ")} on bucket ${bucketName}.`,
      fix: `Allow ${denied.join(", ")} on bucket ${bucketName} in the endpoint policy of an S3 endpoint of ${vpcId}.`,
      path,
    });
  }
  return findings;
}

/** Endpoint side: the endpoint policy grants bucket B by name, but B's policy denies requests through this endpoint. */
function checkEndpointSide(endpoint: Endpoint, ctx: RuleContext): RuleFinding[] {
  const policy = endpoint.policy;
  const region = endpoint.region?.value;
  if (!policy?.document || !endpoint.awsId || !region) return [];
  const findings: RuleFinding[] = [];
  const seen = new Set<string>();
  for (const statement of policy.document.statements) {
    if (statement.effect !== "Allow") continue;
    for (const resource of statement.resource ?? []) {
      const arn = parseS3Arn(resource);
      if (!arn || hasWildcard(arn.bucket) || seen.has(arn.bucket)) continue;
      seen.add(arn.bucket);
      for (const bucket of ctx.inventory.bucketsNamed(arn.bucket)) {
        const docs = docsOf(effectiveBucketPolicies(bucket, ctx.inventory));
        if (docs.length === 0) continue;
        const requests = probeRequests(arn.bucket, bucket.region?.value ?? region, ctx.config.probeActions, endpoint);
        const denied = requests.filter((r) => evaluatePolicies(r, docs).decision === "ExplicitDeny").map((r) => r.action);
        if (denied.length === 0) continue;
        const path = policyPath(policy, `${statement.path}.Resource`);
        findings.push({
          message: `${describeRef(endpoint.ref)}: ${path} grants bucket ${arn.bucket}, but the bucket policy of ${describeBucket(bucket)} denies ${denied.join(", ")} through this endpoint (${endpoint.awsId}).`,
          fix: `Admit ${endpoint.awsId} (aws:SourceVpce) or its VPC in the bucket policy of ${arn.bucket}, or remove the bucket from this endpoint policy.`,
          path,
        });
      }
    }
  }
  return findings;
}

const describeBucket = (b: Bucket) => describeRef(b.ref);

/**
 * Guide, "Important": every policy layer must grant. A bucket reachable only through an
 * endpoint whose policy does not allow it is unreachable, and the converse.
 */
export const effectiveAccess: Rule = {
  id: "effective-access",
  defaultAction: "warn",
  guide: "Using endpoint policies for Amazon S3 (Important: all policy types must grant access)",
  description: "Bucket and endpoint policies that contradict each other, so the bucket is unreachable through the endpoint.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject, ctx) {
    if (subject.type === "Endpoint") return isS3Endpoint(subject) ? checkEndpointSide(subject, ctx) : [];
    if (subject.type !== "Bucket" && subject.type !== "BucketPolicy") return [];
    const view = bucketPolicyView(subject, ctx.inventory);
    return view ? checkBucketSide(view, describeRef(subject.ref), ctx) : [];
  },
};
