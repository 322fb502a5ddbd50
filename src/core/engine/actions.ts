import type { Config } from "../config.js";
import { ACTION_ORDER, type RuleAction } from "../model/findings.js";
import type { Rule, RuleFinding } from "../rules/rule.js";

function stricter(a: RuleAction, b: RuleAction): boolean {
  return ACTION_ORDER.indexOf(a) > ACTION_ORDER.indexOf(b);
}

export function configuredAction(rule: Rule, config: Config): RuleAction {
  return config.rules[rule.id]?.action ?? rule.defaultAction;
}

/** The action a finding gets: the rule's configured action, capped, or escalated. */
export function effectiveAction(rule: Rule, finding: RuleFinding, config: Config): RuleAction {
  const configured = configuredAction(rule, config);
  if (configured === "off") return "off";
  if (finding.escalate) return finding.escalate;
  return finding.cap && stricter(configured, finding.cap) ? finding.cap : configured;
}
