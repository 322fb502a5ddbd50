import type { Family } from "../model/types.js";

/**
 * Where each family keeps an endpoint's fields, for findings about a field that is absent
 * (no policy, no route tables): the path the user has to fill in.
 */
export const ENDPOINT_POLICY_PATH: Record<Family, string> = {
  upjet: "spec.forProvider.policy",
  "upjet-namespaced": "spec.forProvider.policy",
  community: "spec.forProvider.policyDocument",
  ack: "spec.policyDocument",
};

/** Upjet has no route tables in the endpoint's spec (VPCEndpointRouteTableAssociation objects attach them). */
export const ENDPOINT_ROUTE_TABLES_PATH: Record<Family, string> = {
  upjet: "spec",
  "upjet-namespaced": "spec",
  community: "spec.forProvider.routeTableIds",
  ack: "spec.routeTableIDs",
};
