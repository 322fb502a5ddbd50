import type { Config } from "../config.js";
import type { Inventory } from "../inventory/inventory.js";
import type { RuleAction, RuleId } from "../model/findings.js";
import type { ModelObject, ModelType, Operation, ResourceRef } from "../model/types.js";

export type ReviewMode = "admission" | "audit" | "cli";

export interface RuleContext {
  inventory: Inventory;
  config: Config;
  mode: ReviewMode;
  /** Admission only. */
  operation?: Operation;
  /** UPDATE and DELETE: the object as it was. */
  oldSubject?: ModelObject;
  now: Date;
  /** True when the inventory holds every watched object (audit, CLI, admission after sync). */
  inventoryComplete: boolean;
  /**
   * Called when a question was too large to answer within its work budget: the rule then
   * makes no claim, and the front door counts it (s3_vpce_guard_undecided_total).
   */
  undecided?: (rule: string) => void;
}

/** What a rule reports; the engine turns it into a Finding with the configured action. */
export interface RuleFinding {
  message: string;
  fix: string;
  path: string;
  /** The object to report against; defaults to the subject. */
  resource?: ResourceRef;
  /** This finding is never stricter than this (e.g. the `warn`-level cases of a `deny` rule). */
  cap?: Exclude<RuleAction, "off">;
  /** Replaces the configured action (endpoint-change-disruption outside change windows). */
  escalate?: "deny";
}

export interface Rule {
  id: RuleId;
  defaultAction: RuleAction;
  /** Guide section the rule comes from. */
  guide: string;
  /** One sentence for docs and SARIF. */
  description: string;
  appliesTo: readonly ModelType[];
  /** Runs only in admission, with an operation (CREATE/UPDATE/DELETE). */
  admissionOnly?: boolean;
  /** Reports nothing unless the inventory is complete. */
  needsCompleteInventory?: boolean;
  check(subject: ModelObject, ctx: RuleContext): RuleFinding[];
}
