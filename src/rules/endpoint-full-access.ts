import type { Principal, Statement } from "../iam/types.js";
import { describeRef, policyPath } from "../model/refs.js";
import { consumerNeedsFullAccess } from "./consumers.js";
import { ENDPOINT_POLICY_PATH } from "./endpoint-fields.js";
import { isS3Endpoint } from "./policy-views.js";
import type { Rule, RuleFinding } from "./rule.js";

const ALL_S3_ACTIONS = new Set(["*", "s3:*"]);
const ALL_S3_RESOURCE = /^(\*|arn:[a-z-]+:s3:::\*)$/;

function isEveryone(principal: Principal | undefined): boolean {
  // An endpoint policy statement without Principal applies to everyone.
  return principal === undefined || principal === "*";
}

/** Allow, for anyone, every S3 action, on every bucket, with no condition to narrow it. */
function grantsEverything(s: Statement): boolean {
  return (
    s.effect === "Allow" &&
    s.notPrincipal === undefined &&
    isEveryone(s.principal) &&
    (s.action ?? []).some((a) => ALL_S3_ACTIONS.has(a.toLowerCase())) &&
    (s.resource ?? []).some((r) => ALL_S3_RESOURCE.test(r)) &&
    s.conditions.length === 0
  );
}

/**
 * Guide, first bullet and "Restricting access to a specific bucket": the default endpoint
 * policy lets any credentials from any account reach any bucket, other accounts' included.
 */
export const endpointFullAccess: Rule = {
  id: "endpoint-full-access",
  defaultAction: "warn",
  guide: "Endpoints for Amazon S3 (first note: the default endpoint policy); Restricting access to a specific bucket",
  description: "S3 endpoint with the default policy or a statement that allows every S3 action on every bucket to anyone.",
  appliesTo: ["Endpoint"],
  check(subject, ctx) {
    if (!isS3Endpoint(subject)) return [];
    const fullAccessConsumer = consumerNeedsFullAccess(subject, ctx);
    const cap = fullAccessConsumer ? ({ cap: "audit" } as const) : {};
    const because = fullAccessConsumer
      ? ` (expected: ${fullAccessConsumer.id}, declared in ${fullAccessConsumer.source}, needs full S3 access)`
      : "";
    const fix =
      "Attach an endpoint policy that allows only the buckets this VPC uses (both arn:aws:s3:::bucket and arn:aws:s3:::bucket/*) and the actions it needs.";
    if (!subject.policy) {
      const where = ENDPOINT_POLICY_PATH[subject.family];
      return [
        {
          message: `${describeRef(subject.ref)}: no endpoint policy (${where} is unset), so AWS applies the default policy: any credentials from any account can reach any S3 bucket through this endpoint${because}.`,
          fix,
          path: where,
          ...cap,
        },
      ];
    }
    const doc = subject.policy.document;
    if (!doc) return [];
    const findings: RuleFinding[] = [];
    for (const statement of doc.statements) {
      if (!grantsEverything(statement)) continue;
      const path = policyPath(subject.policy, statement.path);
      findings.push({
        message: `${describeRef(subject.ref)}: ${path} allows every S3 action on every bucket to any principal with no condition: credentials from any account can reach any bucket, including other accounts' buckets${because}.`,
        fix,
        path,
        ...cap,
      });
    }
    return findings;
  },
};
