import { parsePolicy, policiesEquivalent } from "../iam/index.js";
import type { PolicyDocument } from "../iam/types.js";
import type { EndpointFact } from "../inventory/aws-facts.js";
import { describeRef } from "../model/refs.js";
import type { Endpoint, Family } from "../model/types.js";
import { isGateway, isS3Endpoint } from "./policy-views.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";
import { ENDPOINT_POLICY_PATH, ENDPOINT_ROUTE_TABLES_PATH } from "./endpoint-fields.js";

/** What AWS applies to an endpoint created without a policy. */
const DEFAULT_ENDPOINT_POLICY = JSON.stringify({
  Version: "2008-10-17",
  Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }],
});

const FIX =
  "Let the provider reconcile the endpoint (check its Synced and Ready conditions and the controller's logs); if the change in AWS was intended, put it into the custom resource.";

const ID_PATH: Record<Family, string> = {
  upjet: "status.atProvider.id",
  "upjet-namespaced": "status.atProvider.id",
  community: 'metadata.annotations["crossplane.io/external-name"]',
  ack: "status.vpcEndpointID",
};

/** The route tables the cluster declares for a Gateway endpoint, or undefined when they cannot be known yet. */
function declaredRouteTables(e: Endpoint, ctx: RuleContext): { ids: string[]; path: string; source: string } | undefined {
  const observed =
    e.observedRouteTableIds.length > 0
      ? { ids: e.observedRouteTableIds, path: "status.atProvider.routeTableIds", source: "observed in status" }
      : undefined;
  if (e.family === "upjet" || e.family === "upjet-namespaced") {
    // Upjet keeps route tables in VPCEndpointRouteTableAssociation objects.
    const associations = ctx.inventory.routeTableAssociationsFor(e);
    if (associations.length > 0) {
      const ids = associations.map((a) => a.routeTable.value);
      if (ids.every((id): id is string => id !== undefined))
        return { ids, path: "spec", source: "declared by VPCEndpointRouteTableAssociations" };
      return observed;
    }
    if (observed) return observed;
    return ctx.inventoryComplete ? { ids: [], path: "spec", source: "declared by VPCEndpointRouteTableAssociations" } : undefined;
  }
  if (!e.routeTableSelector) {
    const ids = e.routeTables.map((r) => r.value);
    if (ids.every((id): id is string => id !== undefined))
      return { ids, path: e.routeTables[0]?.path ?? ENDPOINT_ROUTE_TABLES_PATH[e.family], source: "declared" };
  }
  return observed;
}

function document(text: string | undefined): PolicyDocument | undefined {
  if (text === undefined || text.trim() === "") return parsePolicy(DEFAULT_ENDPOINT_POLICY, "endpoint").document;
  const parsed = parsePolicy(text, "endpoint").document;
  if (parsed) return parsed;
  // Some APIs hand policies back URL-encoded.
  try {
    return parsePolicy(decodeURIComponent(text), "endpoint").document;
  } catch {
    return undefined;
  }
}

const list = (ids: Iterable<string>) => [...ids].sort().join(", ") || "none";

function compare(e: Endpoint, fact: EndpointFact, ctx: RuleContext): RuleFinding[] {
  const who = describeRef(e.ref);
  const where = `${fact.id} in AWS (${fact.region})`;
  const findings: RuleFinding[] = [];

  const vpc = e.vpc?.value;
  if (vpc !== undefined && fact.vpcId !== undefined && vpc !== fact.vpcId) {
    findings.push({
      message: `${who}: ${e.vpc!.path} is ${vpc} but ${where} is in ${fact.vpcId}.`,
      fix: `${FIX} An endpoint cannot move between VPCs: replace it, or set ${e.vpc!.path} to ${fact.vpcId}.`,
      path: e.vpc!.path,
    });
  }

  if (isGateway(e) && fact.routeTableIds !== undefined) {
    const declared = declaredRouteTables(e, ctx);
    if (declared) {
      const inCluster = new Set(declared.ids);
      const inAws = new Set(fact.routeTableIds);
      const missing = [...inCluster].filter((id) => !inAws.has(id));
      const extra = [...inAws].filter((id) => !inCluster.has(id));
      if (missing.length > 0 || extra.length > 0) {
        const parts = [
          missing.length > 0 ? `not attached in AWS: ${list(missing)}` : "",
          extra.length > 0 ? `attached only in AWS: ${list(extra)}` : "",
        ].filter(Boolean);
        findings.push({
          message: `${who}: route tables ${declared.source} (${list(inCluster)}) differ from ${where} (${list(inAws)}): ${parts.join("; ")}.`,
          fix: FIX,
          path: declared.path,
        });
      }
    }
  }

  const wanted = e.policy ? e.policy.document : document(undefined);
  const actual = document(fact.policy);
  if (wanted && actual && !policiesEquivalent(wanted, actual)) {
    const path = e.policy?.path ?? ENDPOINT_POLICY_PATH[e.family];
    findings.push({
      message: `${who}: ${e.policy ? `the policy in ${path}` : `no policy is set (${path}), which means AWS's default full-access policy, but`} ${e.policy ? "differs from the policy of" : "a different policy is set on"} ${where}.`,
      fix: FIX,
      path,
    });
  }
  return findings;
}

/**
 * Operational check with AWS verification on: the endpoint AWS has under the CR's id must
 * match what the CR declares (policy, route tables, VPC), and must exist at all.
 */
export const awsDrift: Rule = {
  id: "aws-drift",
  defaultAction: "audit",
  guide: "— (operational: the endpoint in AWS differs from its custom resource)",
  description:
    "S3 endpoint whose state in AWS (found by its id) differs from the custom resource: policy, route tables, VPC, or existence.",
  appliesTo: ["Endpoint"],
  check(subject, ctx) {
    const facts = ctx.inventory.facts;
    // At admission the object is being changed, so it differs from AWS by design.
    if (!facts || ctx.mode === "admission" || !isS3Endpoint(subject) || !subject.awsId) return [];
    const id = subject.awsId;
    const fact = facts.endpoint(id);
    if (fact) return compare(subject, fact, ctx);
    // Not looked up yet is not absent (a source that cannot tell answers every miss as absent).
    if (facts.endpointAbsent && !facts.endpointAbsent(id)) return [];
    const state = facts.endpointAnyState?.(id)?.state;
    const path = ID_PATH[subject.family];
    return [
      {
        message: `${describeRef(subject.ref)}: endpoint ${id} (${path}) ${state ? `is ${state} in AWS` : "was not found in AWS"} in any of the regions asked.`,
        fix: "If the endpoint was deleted outside the cluster, let the provider recreate it (remove the stale id) or delete the custom resource; if it lives in another account or region, check the provider's credentials and region.",
        path,
      },
    ];
  },
};
