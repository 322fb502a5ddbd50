import type { Condition, PolicyDocument, Statement } from "./types.js";
import { RecentlyUsedMap } from "../util/recently-used-map.js";
import { hasWildcard } from "./wildcard.js";

export interface ConditionHit {
  statement: Statement;
  condition: Condition;
}

const NONE: readonly ConditionHit[] = [];

/**
 * Every condition on one key (case-insensitive, as IAM compares keys). Rules ask the same
 * document about several keys in one review, and the webhook asks the parse cache's document
 * again in the next review of the same policy: the document is indexed by key once.
 */
export function conditionsOnKey(doc: PolicyDocument | undefined, key: string): readonly ConditionHit[] {
  if (!doc) return NONE;
  return conditionIndex(doc).get(key.toLowerCase()) ?? NONE;
}

/** Ids named exactly (no wildcards) in conditions on a key, e.g. every aws:SourceVpce value. */
export function exactValuesOnKey(doc: PolicyDocument | undefined, key: string): Set<string> {
  const out = new Set<string>();
  for (const hit of conditionsOnKey(doc, key)) {
    for (const v of hit.condition.values) if (!hasWildcard(v)) out.add(v);
  }
  return out;
}

/**
 * The indexes of the documents asked about most recently. Bounded, not weak: a `check` of 50k
 * resources asks about every policy of the inventory once or twice, and indexes kept for all of
 * them would cost memory that no later question saves. An index is as large as its document's
 * conditions (a policy is at most 20 KB).
 */
const indexes = new RecentlyUsedMap<PolicyDocument, Map<string, ConditionHit[]>>(256);

function conditionIndex(doc: PolicyDocument): Map<string, ConditionHit[]> {
  let index = indexes.get(doc);
  if (index !== undefined) return index;
  index = new Map();
  for (const statement of doc.statements) {
    for (const condition of statement.conditions) {
      const key = condition.key.toLowerCase();
      const hits = index.get(key);
      if (hits === undefined) index.set(key, [{ statement, condition }]);
      else hits.push({ statement, condition });
    }
  }
  indexes.set(doc, index);
  return index;
}
