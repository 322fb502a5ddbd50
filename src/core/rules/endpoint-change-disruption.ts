import { outsideChangeWindows } from "../engine/change-windows.js";
import { describeRef } from "../model/refs.js";
import type { Endpoint, ModelObject, RefValue, RouteTableAssociation } from "../model/types.js";
import { isGateway, isS3Endpoint } from "./policy-views.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";

export const ACK_ANNOTATION = "s3-vpce-guard.io/disruption-acknowledged";

const refKey = (r: RefValue | undefined) =>
  r ? JSON.stringify([r.value ?? null, r.ref?.name ?? null, r.ref?.namespace ?? null, r.selector?.matchLabels ?? null]) : "";

/** What about a Gateway endpoint switches routes when it changes. */
function routingChanges(before: Endpoint, after: Endpoint): string[] {
  const changed: string[] = [];
  const tables = (e: Endpoint) => [...e.routeTables.map(refKey), refKey(e.routeTableSelector)].sort().join("|");
  if (tables(before) !== tables(after)) changed.push("route tables");
  if (refKey(before.vpc) !== refKey(after.vpc)) changed.push("VPC");
  if (before.serviceName?.value !== after.serviceName?.value || before.endpointType.value !== after.endpointType.value) {
    changed.push("service");
  }
  return changed;
}

function gatewayEndpointOf(a: RouteTableAssociation, ctx: RuleContext): Endpoint | undefined | "unknown" {
  const endpoints = ctx.inventory.resolveEndpoint(a.ref, a.endpoint);
  if (endpoints.length === 0) return "unknown";
  return endpoints.find((e) => isS3Endpoint(e) && isGateway(e));
}

function describeChange(subject: ModelObject, ctx: RuleContext): string | undefined {
  const op = ctx.operation;
  if (subject.type === "Endpoint") {
    if (!isS3Endpoint(subject) || !isGateway(subject)) return undefined;
    if (op === "CREATE") return "creating this S3 Gateway endpoint";
    if (op === "DELETE") return "deleting this S3 Gateway endpoint";
    if (op === "UPDATE" && ctx.oldSubject?.type === "Endpoint") {
      const changed = routingChanges(ctx.oldSubject, subject);
      return changed.length > 0 ? `changing the ${changed.join(", ")} of this S3 Gateway endpoint` : undefined;
    }
    return undefined;
  }
  if (subject.type === "RouteTableAssociation") {
    const endpoint = gatewayEndpointOf(subject, ctx);
    if (endpoint === undefined) return undefined; // resolves to a non-S3 or Interface endpoint
    const target = endpoint === "unknown" ? "an endpoint" : `S3 Gateway endpoint ${describeRef(endpoint.ref)}`;
    if (op === "CREATE") return `attaching a route table to ${target}`;
    if (op === "DELETE") return `detaching a route table from ${target}`;
    if (op === "UPDATE" && ctx.oldSubject?.type === "RouteTableAssociation") {
      const old = ctx.oldSubject;
      if (refKey(old.routeTable) !== refKey(subject.routeTable) || refKey(old.endpoint) !== refKey(subject.endpoint)) {
        return `moving a route-table association of ${target}`;
      }
    }
  }
  return undefined;
}

/**
 * Guide, second bullet: creating or changing an S3 endpoint switches routes and drops open
 * TCP connections. Outside configured change windows, without the acknowledgement
 * annotation, the change is denied.
 */
export const endpointChangeDisruption: Rule = {
  id: "endpoint-change-disruption",
  defaultAction: "warn",
  guide: "Endpoints for Amazon S3 (second note: an endpoint switches routes and drops connections)",
  description: "Creating, deleting or re-routing an S3 Gateway endpoint drops open connections (admission only).",
  appliesTo: ["Endpoint", "RouteTableAssociation"],
  admissionOnly: true,
  check(subject, ctx) {
    const change = describeChange(subject, ctx);
    if (!change) return [];
    const acknowledged = subject.type !== "Namespace" && subject.annotations[ACK_ANNOTATION] === "true";
    const escalate = !acknowledged && outsideChangeWindows(ctx.config, ctx.now);
    const finding: RuleFinding = {
      message: `${describeRef(subject.ref)}: ${change} switches network routes and drops open TCP connections to S3${escalate ? "; this is outside every configured change window" : ""}.`,
      fix: escalate
        ? `Apply during a change window, or add the annotation ${ACK_ANNOTATION}: "true" once the workloads can reconnect.`
        : "Make the change when no critical task uses S3 from this VPC, or make sure clients reconnect.",
      path: subject.type === "RouteTableAssociation" ? "spec.forProvider" : "spec",
      ...(escalate ? { escalate: "deny" as const } : {}),
    };
    return [finding];
  },
};
