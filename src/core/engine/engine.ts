import type { Config } from "../config.js";
import type { Inventory } from "../inventory/inventory.js";
import type { Finding } from "../model/findings.js";
import type { ModelObject, Operation } from "../model/types.js";
import { ALL_RULES } from "../rules/rule-registry.js";
import type { ReviewMode, Rule, RuleContext } from "../rules/rule.js";
import { effectiveAction } from "./actions.js";
import { isExempt } from "./exemptions.js";
import { capRuleFindings, capText, MAX_FIX_CHARS, MAX_MESSAGE_CHARS, notCheckedFinding, withinBudget } from "./limits.js";
import { chargeWork } from "../iam/work-budget.js";

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
 *
 * Every review is bounded (limits.ts): findings per rule and their texts are capped, and a
 * review that needs more than config `limits.workSteps` ends with one "not checked" finding
 * instead of holding the event loop.
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
      const raws = rule.check(subject, ctx);
      chargeWork(1 + raws.length, `running rule ${rule.id}`);
      const ruleFindings: Finding[] = [];
      for (const raw of raws) {
        const action = effectiveAction(rule, raw, config);
        if (action === "off") continue;
        ruleFindings.push({
          rule: rule.id,
          action,
          message: capText(raw.message, MAX_MESSAGE_CHARS),
          fix: capText(raw.fix, MAX_FIX_CHARS),
          guide: rule.guide,
          resource: raw.resource ?? subject.ref,
          path: capText(raw.path, MAX_FIX_CHARS),
        });
      }
      findings.push(...capRuleFindings(ruleFindings));
    }
    return findings;
  };
  // A DELETE is reviewed only by admission-only rules, which read the inventory as stored.
  const outcome = withinBudget(config, () => (deleting ? run() : inventory.withObject(subject, run)));
  return outcome.ok ? outcome.value : [notCheckedFinding(config, subject.ref, outcome.exceeded, subject).finding];
}
