import { cidrsOverlap, isPrivateRange, overlapsPrivateRange } from "../iam/index.js";
import { equalsLowerCase } from "../util/text.js";
import type { Condition, Statement } from "../iam/types.js";
import { describeRef, policyPath } from "../model/refs.js";
import type { ModelObject, PolicyField } from "../model/types.js";
import { conditionsOnKey, statementsWithKey } from "../iam/policy-query.js";
import { bucketPolicyView, carriedPolicies } from "./policy-views.js";
import {
  actionsOf,
  anyEndpointKeys,
  askRemembered,
  identityOf,
  coveredBy,
  statementResources,
  endpointKeys,
  explainWitness,
  byExplicitDeny,
  allowed,
  single,
} from "./questions.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";

const RULE = "source-ip-condition";
const NONE: readonly RuleFinding[] = [];
const FIX =
  "Use aws:SourceVpce (the endpoint id) or aws:SourceVpc (the VPC id) instead of aws:SourceIp for traffic that goes through a VPC endpoint.";
/** Keys every request through an endpoint carries; witnesses leave them out of messages. */
const PATH_KEYS = ["aws:SourceIp"];

function vpcContaining(cidr: string, ctx: RuleContext): string | undefined {
  for (const vpc of ctx.inventory.facts?.vpcs() ?? []) {
    if (vpc.cidrBlocks.some((block) => cidrsOverlap(block, cidr))) return vpc.id;
  }
  return undefined;
}

/** Private ranges and VPC blocks in a SourceIp condition (a). */
function rangeFindings(condition: Condition, subjectLabel: string, field: PolicyField, ctx: RuleContext): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const [index, value] of condition.values.entries()) {
    const privateRange = isPrivateRange(value);
    const vpc = privateRange ? undefined : vpcContaining(value, ctx);
    if (!privateRange && !vpc) continue;
    // Point at the offending element when the condition lists several ranges.
    const path = policyPath(field, condition.values.length > 1 ? `${condition.path}[${index}]` : condition.path);
    const who = `${subjectLabel}: ${path}`;
    findings.push({
      message: `${who} uses ${value}, ${vpc ? `which overlaps VPC ${vpc}` : "a private range"}; aws:SourceIp never matches private addresses of requests through a VPC endpoint.`,
      fix: FIX,
      path,
    });
  }
  return findings;
}

interface Scope {
  field: PolicyField;
  kind: "endpoint" | "bucket";
  bucketName: string | undefined;
  bucketRegion: string | undefined;
}

function scopesOf(subject: ModelObject, ctx: RuleContext): Scope[] {
  return carriedPolicies(subject).map(({ field, kind }) => {
    if (kind === "endpoint" || (subject.type !== "Bucket" && subject.type !== "BucketPolicy"))
      return { field, kind, bucketName: undefined, bucketRegion: undefined };
    const view = bucketPolicyView(subject, ctx.inventory);
    return { field, kind, bucketName: view?.bucketName, bucketRegion: view?.bucketRegion };
  });
}

/**
 * (b)–(e): what the statement does to requests through an endpoint, judged with all of its
 * condition blocks together (IAM ANDs them) and every key it reads besides aws:SourceIp free.
 */
function isIpCondition(condition: Condition): boolean {
  return (
    (condition.baseOperator === "IpAddress" || condition.baseOperator === "NotIpAddress") && equalsLowerCase(condition.key, "aws:sourceip")
  );
}

function statementFindings(subject: ModelObject, scope: Scope, statement: Statement, ctx: RuleContext): readonly RuleFinding[] {
  // Most statements read no aws:SourceIp: settled without making anything.
  if (!statement.conditions.some(isIpCondition)) return NONE;
  const ipConditions = statement.conditions.filter(isIpCondition);
  const notIp = ipConditions.find((c) => c.baseOperator === "NotIpAddress");
  const ip = ipConditions.find((c) => c.baseOperator === "IpAddress");
  // (c) and (d) speak of an IpAddress that endpoint traffic cannot meet; one naming private or
  // VPC addresses is (a)'s finding, and nothing more is claimed about it (no question asked).
  if (!notIp && ip && ip.values.some((value) => overlapsPrivateRange(value) || vpcContaining(value, ctx) !== undefined)) return [];
  const actions = actionsOf(statement);
  if (actions.length === 0) return [];
  const keys = scope.kind === "endpoint" && subject.type === "Endpoint" ? endpointKeys(subject, ctx) : anyEndpointKeys();
  // Everything the questions below depend on: the statement (its conditions decide which one is
  // asked), the bucket's region (its ARNs) and the keys a request carries.
  const asked = `${identityOf(statement)}|${scope.bucketRegion}|${JSON.stringify(keys)}`;
  // Made only when the answer is not remembered.
  const question = () => ({
    layers: [[single(statement)]],
    space: { actions, resources: statementResources(statement, scope.bucketRegion), keys, within: coveredBy(statement) },
  });
  const sid = statement.sid ? ` (Sid ${statement.sid})` : "";
  const who = describeRef(subject.ref);
  const statements = [statement];
  if (statement.effect === "Deny") {
    // Deny+IpAddress alone only asks "never denied?": one denied request settles it.
    const enough = notIp ? undefined : (found: ReadonlySet<string>) => found.has("denied");
    const { verdict, witnesses } = askRemembered(
      RULE,
      ctx,
      asked,
      () => ({ ...question(), ...byExplicitDeny, focus: "denied", ...(enough ? { enough } : {}) }),
      "denied",
    );
    if (notIp && verdict === "always") {
      const path = policyPath(scope.field, notIp.path);
      return [
        {
          message: `${who}: ${path}: Deny with NotIpAddress${sid} matches every request through a VPC endpoint (their source addresses are private), so all endpoint traffic it covers is denied, e.g. ${explainWitness(witnesses.get("denied")!, 0, statements, "is denied by", PATH_KEYS)}.`,
          fix: FIX,
          path,
        },
      ];
    }
    if (notIp && verdict === "sometimes") {
      const path = policyPath(scope.field, notIp.path);
      const passes = witnesses.get("passes")!;
      return [
        {
          message: `${who}: ${path}: Deny with NotIpAddress${sid} still denies endpoint traffic that its other conditions catch, e.g. ${explainWitness(witnesses.get("denied")!, 0, statements, "is denied by", PATH_KEYS)}; only requests such as ${explainWitness(passes, 0, statements, "escape it:", PATH_KEYS).replace(/ escape it: .*$/, "")} escape it.`,
          fix: FIX,
          path,
          cap: "warn",
        },
      ];
    }
    if (ip && !notIp && verdict === "never") {
      const path = policyPath(scope.field, ip.path);
      return [
        {
          message: `${who}: ${path}: Deny with IpAddress${sid} never matches requests through a VPC endpoint (their source addresses are private), so endpoint traffic bypasses this deny.`,
          fix: FIX,
          path,
        },
      ];
    }
    return [];
  }
  // (d) only asks "never allowed?", (e) only "always allowed?": the first counter-example settles each.
  const enough =
    ip && !notIp
      ? (found: ReadonlySet<string>) => found.has("allowed")
      : notIp && !ip
        ? (found: ReadonlySet<string>) => found.has("refused")
        : undefined;
  const { verdict, witnesses } = askRemembered(
    RULE,
    ctx,
    asked,
    () => ({ ...question(), classify: allowed, focus: "allowed", ...(enough ? { enough } : {}) }),
    "allowed",
  );
  if (ip && verdict === "never") {
    const path = policyPath(scope.field, ip.path);
    return [
      {
        message: `${who}: ${path}: Allow with IpAddress${sid} never matches requests through a VPC endpoint (their source addresses are private), so it grants nothing to endpoint traffic.`,
        fix: FIX,
        path,
        cap: "warn",
      },
    ];
  }
  if (notIp && verdict === "always") {
    const path = policyPath(scope.field, notIp.path);
    return [
      {
        message: `${who}: ${path}: Allow with NotIpAddress${sid} matches every request through a VPC endpoint, so it grants what it covers to all endpoint traffic, e.g. ${explainWitness(witnesses.get("allowed")!, 0, statements, "is allowed by", PATH_KEYS)}.`,
        fix: FIX,
        path,
        cap: "warn",
      },
    ];
  }
  return [];
}

/**
 * Guide, third bullet and "Using Amazon S3 bucket policies": through an endpoint S3 sees
 * private addresses, so aws:SourceIp never matches. A Deny+NotIpAddress then denies the
 * endpoint traffic its other conditions do not exempt, and a Deny+IpAddress never applies to it.
 */
export const sourceIpCondition: Rule = {
  id: RULE,
  defaultAction: "deny",
  guide: "Endpoints for Amazon S3 (third note: aws:SourceIp); Using Amazon S3 bucket policies",
  description: "Bucket or endpoint policy that relies on aws:SourceIp, which never matches requests made through an endpoint.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject, ctx) {
    const findings: RuleFinding[] = [];
    for (const scope of scopesOf(subject, ctx)) {
      for (const { condition } of conditionsOnKey(scope.field.document, "aws:SourceIp")) {
        if (condition.baseOperator !== "IpAddress" && condition.baseOperator !== "NotIpAddress") continue;
        findings.push(...rangeFindings(condition, describeRef(subject.ref), scope.field, ctx));
      }
      // Only statements reading aws:SourceIp can have a finding here (statementFindings).
      for (const statement of statementsWithKey(scope.field.document, "aws:SourceIp"))
        findings.push(...statementFindings(subject, scope, statement, ctx));
    }
    return findings;
  },
};
