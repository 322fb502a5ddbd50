import type { ResourceRef } from "./types.js";

export type RuleAction = "deny" | "warn" | "audit" | "off";

/** Strictest first; used to cap a finding's action. */
export const ACTION_ORDER: readonly RuleAction[] = ["off", "audit", "warn", "deny"];

export const RULE_IDS = [
  "policy-invalid",
  "endpoint-full-access",
  "source-ip-condition",
  "vpce-condition-value",
  "cross-region",
  "ipv4-only",
  "gateway-without-route-tables",
  "object-arn-coverage",
  "required-bucket-access",
  "endpoint-change-disruption",
  "unknown-endpoint-reference",
  "effective-access",
  "aws-drift",
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export interface Finding {
  rule: RuleId;
  /** Effective action after config, caps and change windows. Never "off" (those are dropped). */
  action: Exclude<RuleAction, "off">;
  /** One line naming the resource and the field at fault. */
  message: string;
  /** What to change. */
  fix: string;
  /** The guide section this comes from. */
  guide: string;
  resource: ResourceRef;
  /** JSON path of the offending field, e.g. `spec.forProvider.policy → Statement[1].Condition…`. */
  path: string;
}
