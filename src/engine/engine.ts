import type { Config } from "../config/schema.js";
import type { Inventory } from "../inventory/inventory.js";
import type { Finding } from "../model/findings.js";
import type { ModelObject, Operation } from "../model/types.js";
import { ALL_RULES } from "../rules/registry.js";
import type { ReviewMode, Rule, RuleContext } from "../rules/rule.js";
import { effectiveAction } from "./actions.js";
import { isExempt } from "./exemptions.js";

export interface ReviewInput {
  /** The object under review (for DELETE: the object being deleted). */
  subject: ModelObject;
  /** UPDATE: the stored object before the change. */
  oldSubject?: ModelObject;
  operation?: Operation;
  mode: ReviewMode;
  /** Whether the inventory holds every watched object. */
  inventoryComplete: boolean;
  now?: Date;
}

export interface EngineOptions {
  config: Config;
  inventory: Inventory;
  rules?: readonly Rule[];
  /** Told of every rule question left undecided (over its work budget); front doors count them. */
  onUndecided?: (rule: string) => void;
}

/**
 * The one engine behind the CLI, the webhook and the reconciler: runs every applicable
 * rule on one model object and applies config (actions, caps, exemptions). It does not
 * adapt raw objects and does not talk to the outside world.
 */
export function review(input: ReviewInput, options: EngineOptions): Finding[] {
  const { config, inventory } = options;
  const rules = options.rules ?? ALL_RULES;
  const { subject } = input;
  const deleting = input.operation === "DELETE";
  const ctx: RuleContext = {
    inventory,
    config,
    mode: input.mode,
    operation: input.operation,
    oldSubject: input.oldSubject,
    now: input.now ?? new Date(),
    inventoryComplete: input.inventoryComplete,
    undecided: options.onUndecided,
  };
  const run = (): Finding[] => {
    const findings: Finding[] = [];
    for (const rule of rules) {
      if (!rule.appliesTo.includes(subject.type)) continue;
      if (rule.admissionOnly && (input.mode !== "admission" || !input.operation)) continue;
      // A deleted object only matters for the disruption its removal causes.
      if (deleting && !rule.admissionOnly) continue;
      if (rule.needsCompleteInventory && !input.inventoryComplete) continue;
      if (isExempt(subject, rule.id, config)) continue;
      for (const raw of rule.check(subject, ctx)) {
        const action = effectiveAction(rule, raw, config);
        if (action === "off") continue;
        findings.push({
          rule: rule.id,
          action,
          message: raw.message,
          fix: raw.fix,
          guide: rule.guide,
          resource: raw.resource ?? subject.ref,
          path: raw.path,
        });
      }
    }
    return findings;
  };
  // A DELETE is reviewed only by admission-only rules, which read the inventory as stored.
  return deleting ? run() : inventory.withObject(subject, run);
}
