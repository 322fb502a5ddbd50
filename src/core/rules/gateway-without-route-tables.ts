import { describeRef } from "../model/refs.js";
import { ENDPOINT_ROUTE_TABLES_PATH } from "./endpoint-fields.js";
import { isGateway, isS3Endpoint } from "./policy-views.js";
import type { Rule } from "./rule.js";

/**
 * Guide, "use your route tables to control which instances can access resources in S3":
 * a Gateway endpoint works only through the route tables it is attached to.
 */
export const gatewayWithoutRouteTables: Rule = {
  id: "gateway-without-route-tables",
  defaultAction: "warn",
  guide: "Endpoints for Amazon S3 (use your route tables to control access through the endpoint)",
  description: "S3 Gateway endpoint with no route tables: it routes nothing.",
  appliesTo: ["Endpoint"],
  check(subject, ctx) {
    if (!isS3Endpoint(subject) || !isGateway(subject)) return [];
    if (subject.routeTables.length > 0 || subject.routeTableSelector || subject.observedRouteTableIds.length > 0) return [];
    const upjet = subject.family === "upjet" || subject.family === "upjet-namespaced";
    // Upjet keeps route tables out of the endpoint's spec: only a complete inventory of
    // VPCEndpointRouteTableAssociations can tell that there are none.
    if (upjet && !ctx.inventoryComplete) return [];
    if (ctx.inventory.routeTableAssociationsFor(subject).length > 0) return [];
    const fix = upjet
      ? `Create a VPCEndpointRouteTableAssociation whose spec.forProvider.vpcEndpointIdRef names ${subject.ref.name} for each route table that should use it.`
      : subject.family === "ack"
        ? "List the route tables in spec.routeTableIDs or spec.routeTableRefs."
        : "List the route tables in spec.forProvider.routeTableIds, routeTableIdRefs or routeTableIdSelector.";
    const path = ENDPOINT_ROUTE_TABLES_PATH[subject.family];
    return [
      {
        message: `${describeRef(subject.ref)}: S3 Gateway endpoint with no route tables${upjet ? " (no VPCEndpointRouteTableAssociation points at it)" : ` (${path} is empty)`}: it routes no traffic.`,
        fix,
        path,
      },
    ];
  },
};
