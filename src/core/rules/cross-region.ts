import { parseS3Arn } from "../iam/index.js";
import { describeRef, policyPath } from "../model/refs.js";
import type { Endpoint } from "../model/types.js";
import { firstExactValuesOnKey, type ConditionHit } from "../iam/policy-query.js";
import { hasWildcard } from "../iam/wildcard.js";
import { bucketPolicyView, isGateway, isS3Endpoint, type BucketPolicyView } from "./policy-views.js";
import { askFor, bucketResources, explainWitness, byExplicitDeny, sourceAddresses } from "./questions.js";
import type { KeyDomain } from "../iam/symbolic.js";
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
    const view = bucketPolicyView(subject, ctx.inventory);
    return view ? checkBucketPolicy(view, describeRef(subject.ref), ctx) : [];
  },
};

const RULE = "cross-region";
const ID_KEYS = ["aws:SourceVpce", "aws:SourceVpc"] as const;

interface NamedId {
  key: (typeof ID_KEYS)[number];
  id: string;
  hit: ConditionHit;
  index: number;
  /** Known region of the endpoint / VPC; undefined when unknown. */
  region: string | undefined;
  /** An endpoint with this id serves the bucket's region (e.g. a deliberate cross-region one). */
  servesBucketRegion: boolean;
}

function namedIds(view: BucketPolicyView, bucketRegion: string, ctx: RuleContext): NamedId[] {
  const out: NamedId[] = [];
  for (const key of ID_KEYS) {
    // Each id once, where it first occurs: a 20 KB policy repeats one id in every statement.
    for (const hit of firstExactValuesOnKey(view.field.document, key)) {
      const { value: id, index } = hit;
      if (key === "aws:SourceVpce") {
        const endpoints = ctx.inventory.endpointsWithAwsId(id);
        const region = endpoints.length > 0 ? endpoints[0]!.region?.value : ctx.inventory.regionOfEndpointId(id);
        out.push({
          key,
          id,
          hit,
          index,
          region,
          servesBucketRegion: endpoints.some((e) => endpointServiceRegion(e, ctx) === bucketRegion),
        });
      } else {
        out.push({ key, id, hit, index, region: ctx.inventory.regionOfVpc(id), servesBucketRegion: false });
      }
    }
  }
  return out;
}

/** The keys of a request through this named endpoint or VPC (its VPC / an endpoint of it when known). */
function keysThrough(named: NamedId, ctx: RuleContext): Record<string, KeyDomain> {
  if (named.key === "aws:SourceVpce") {
    const vpc = ctx.inventory.endpointsWithAwsId(named.id)[0]?.vpc?.value;
    return {
      "aws:SourceVpce": { kind: "fixed", value: named.id },
      "aws:SourceVpc": vpc ? { kind: "fixed", value: vpc } : { kind: "present" },
      "aws:SourceIp": { kind: "address", cidrs: sourceAddresses(vpc, ctx) },
    };
  }
  return {
    "aws:SourceVpc": { kind: "fixed", value: named.id },
    "aws:SourceVpce": { kind: "present" },
    "aws:SourceIp": { kind: "address", cidrs: sourceAddresses(named.id, ctx) },
  };
}

/**
 * (b): a bucket policy restricted to endpoints or VPCs of another region. "Restricted" is
 * asked, not read from the operator: every request through an endpoint the policy does not
 * name is denied. A Deny + StringEquals block list is then no restriction. An id is admitted
 * when some request through it passes the policy; the bucket is cut off when every admitted
 * id is in another region, and the foreign ids are only dead when a same-region one is admitted.
 */
function checkBucketPolicy(view: BucketPolicyView, who: string, ctx: RuleContext): RuleFinding[] {
  const bucketRegion = view.bucketRegion;
  const doc = view.field.document;
  if (!bucketRegion || !doc) return [];
  const named = namedIds(view, bucketRegion, ctx);
  const foreign = (n: NamedId) => n.region !== undefined && n.region !== bucketRegion && !n.servesBucketRegion;
  if (!named.some(foreign)) return [];
  const space = { actions: ctx.config.probeActions, resources: bucketResources(view.bucketName, bucketRegion) };
  const except = (key: NamedId["key"]) => named.filter((n) => n.key === key).map((n) => n.id);
  const elsewhere = askFor(
    RULE,
    ctx,
    {
      layers: [[doc]],
      space: {
        ...space,
        keys: {
          "aws:SourceVpce": { kind: "present", except: except("aws:SourceVpce") },
          "aws:SourceVpc": { kind: "present", except: except("aws:SourceVpc") },
          "aws:SourceIp": { kind: "address", cidrs: sourceAddresses(undefined, ctx) },
        },
      },
      ...byExplicitDeny,
      focus: "passes",
    },
    "denied",
  );
  const restricted = elsewhere.verdict === "always";
  const admitted = named.filter((n) => {
    const { witnesses } = askFor(
      RULE,
      ctx,
      { layers: [[doc]], space: { ...space, keys: keysThrough(n, ctx) }, ...byExplicitDeny, enough: (found) => found.has("passes") },
      "denied",
    );
    return witnesses.has("passes");
  });
  const cutOff = restricted && admitted.length > 0 && admitted.every(foreign);
  const bucket = view.bucketName ?? "this bucket";
  return admitted.filter(foreign).flatMap((n): RuleFinding[] => {
    // Outside a restriction, only an Allow that names the id is a dead grant; a Deny naming it blocks, on purpose.
    if (!restricted && n.hit.statement.effect !== "Allow") return [];
    const path = policyPath(view.field, n.hit.condition.values.length > 1 ? `${n.hit.condition.path}[${n.index}]` : n.hit.condition.path);
    const what = n.key === "aws:SourceVpce" ? `endpoint ${n.id}` : `VPC ${n.id}`;
    if (cutOff) {
      const example = elsewhere.witnesses.get("denied");
      return [
        {
          message: `${who}: ${path} requires ${what}, which is in ${n.region}, but bucket ${bucket} is in ${bucketRegion}: requests through ${n.key === "aws:SourceVpce" ? "that endpoint" : "the VPC's S3 endpoints"} cannot reach the bucket, and every request through any other endpoint is denied${example ? ` (e.g. ${explainWitness(example, 0, doc.statements, "is denied by", ["aws:SourceIp"])})` : ""}.`,
          fix: `Name ${n.key === "aws:SourceVpce" ? "an S3 endpoint" : "a VPC"} in ${bucketRegion} in ${path}.`,
          path,
        },
      ];
    }
    return [
      {
        message: `${who}: ${path} admits ${what}, which is in ${n.region}, but bucket ${bucket} is in ${bucketRegion}: this entry is dead (requests through it cannot reach the bucket); the policy still admits other paths.`,
        fix: `Remove ${n.id} from ${path}, or name ${n.key === "aws:SourceVpce" ? "an S3 endpoint" : "a VPC"} in ${bucketRegion}.`,
        path,
        cap: "warn",
      },
    ];
  });
}
