import type { RuleId } from "../model/findings.js";
import { awsDrift } from "./aws-drift.js";
import { crossRegion } from "./cross-region.js";
import { effectiveAccess } from "./effective-access.js";
import { endpointChangeDisruption } from "./endpoint-change-disruption.js";
import { endpointFullAccess } from "./endpoint-full-access.js";
import { gatewayWithoutRouteTables } from "./gateway-without-route-tables.js";
import { ipv4Only } from "./ipv4-only.js";
import { objectArnCoverage } from "./object-arn-coverage.js";
import { policyInvalid } from "./policy-invalid.js";
import { requiredBucketAccess } from "./required-bucket-access.js";
import type { Rule } from "./rule.js";
import { sourceIpCondition } from "./source-ip-condition.js";
import { unknownEndpointReference } from "./unknown-endpoint-reference.js";
import { vpceConditionValue } from "./vpce-condition-value.js";

/** Every rule, in the order of the README's "Rules" table (aws-drift reports only when AWS verification is on). */
export const ALL_RULES: readonly Rule[] = [
  policyInvalid,
  endpointFullAccess,
  sourceIpCondition,
  vpceConditionValue,
  crossRegion,
  ipv4Only,
  gatewayWithoutRouteTables,
  objectArnCoverage,
  requiredBucketAccess,
  endpointChangeDisruption,
  unknownEndpointReference,
  effectiveAccess,
  awsDrift,
];

export function ruleById(id: RuleId): Rule | undefined {
  return ALL_RULES.find((r) => r.id === id);
}
