import type { Config } from "../config.js";
import { matchesSelector } from "../inventory/labels.js";
import type { RuleId } from "../model/findings.js";
import type { ModelObject } from "../model/types.js";

export const EXEMPT_ANNOTATION = "s3-vpce-guard.io/exempt";

/** Is this rule switched off for this object by config exemptions or (when allowed) its annotation? */
export function isExempt(subject: ModelObject, rule: RuleId, config: Config): boolean {
  const namespace = subject.ref.namespace;
  for (const exemption of config.exemptions) {
    if (exemption.namespaces && (namespace === null || !exemption.namespaces.includes(namespace))) continue;
    if (exemption.selector && !matchesSelector(subject.labels, exemption.selector)) continue;
    if (!exemption.rules || exemption.rules.includes(rule)) return true;
  }
  if (config.allowResourceExemptions && subject.type !== "Namespace") {
    const annotation = subject.annotations[EXEMPT_ANNOTATION];
    if (annotation !== undefined) {
      const listed = annotation.split(",").map((s) => s.trim());
      if (listed.includes(rule) || listed.includes("*") || listed.includes("all")) return true;
    }
  }
  return false;
}
