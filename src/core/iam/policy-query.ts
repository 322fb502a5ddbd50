import type { Condition, PolicyDocument, Statement } from "./types.js";
import { equalsLowerCase } from "../util/text.js";
import { hasWildcard } from "./wildcard.js";

export interface ConditionHit {
  statement: Statement;
  condition: Condition;
}

/** Every condition on one key (case-insensitive, as IAM compares keys). */
export function conditionsOnKey(doc: PolicyDocument | undefined, key: string): ConditionHit[] {
  if (!doc) return [];
  const wanted = key.toLowerCase();
  const hits: ConditionHit[] = [];
  for (const statement of doc.statements) {
    for (const condition of statement.conditions) {
      if (equalsLowerCase(condition.key, wanted)) hits.push({ statement, condition });
    }
  }
  return hits;
}

/** Ids named exactly (no wildcards) in conditions on a key, e.g. every aws:SourceVpce value. */
export function exactValuesOnKey(doc: PolicyDocument | undefined, key: string): Set<string> {
  const out = new Set<string>();
  for (const hit of conditionsOnKey(doc, key)) {
    for (const v of hit.condition.values) if (!hasWildcard(v)) out.add(v);
  }
  return out;
}
