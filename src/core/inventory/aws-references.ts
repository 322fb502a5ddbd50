/** What of AWS an inventory refers to: the regions and ids that AWS verification looks up. */
import { exactValuesOnKey } from "../iam/policy-query.js";
import type { Inventory } from "./inventory.js";

/** Regions the inventory mentions (endpoints, their service names, buckets, policies, associations) plus the default. */
export function inventoryRegions(inventory: Inventory, defaultRegion: string): string[] {
  const regions = new Set<string>([defaultRegion]);
  for (const o of inventory.all()) {
    if (o.type === "Namespace") {
      if (o.defaultRegion) regions.add(o.defaultRegion);
      continue;
    }
    if (o.region) regions.add(o.region.value);
    if (o.type === "Endpoint" && o.serviceNameRegion) regions.add(o.serviceNameRegion);
  }
  return [...regions].sort();
}

/** Every vpce-/vpc- id the inventory names: endpoint CRs' awsIds and VPCs, and bucket policies' aws:SourceVpce / aws:SourceVpc values. */
export function referencedAwsIds(inventory: Inventory): { endpointIds: string[]; vpcIds: string[] } {
  const endpointIds = new Set<string>();
  const vpcIds = new Set<string>();
  for (const o of inventory.all()) {
    if (o.type === "Endpoint") {
      if (o.awsId) endpointIds.add(o.awsId);
      if (o.vpc?.value) vpcIds.add(o.vpc.value);
    } else if ((o.type === "Bucket" || o.type === "BucketPolicy") && o.policy?.document) {
      for (const id of exactValuesOnKey(o.policy.document, "aws:SourceVpce")) endpointIds.add(id);
      for (const id of exactValuesOnKey(o.policy.document, "aws:SourceVpc")) vpcIds.add(id);
    }
  }
  return { endpointIds: [...endpointIds].sort(), vpcIds: [...vpcIds].sort() };
}
