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
  return documentIndex(doc).byKey.get(key.toLowerCase()) ?? NONE;
}

/** A value named exactly in a condition, where it first occurs in the document. */
export interface ValueHit extends ConditionHit {
  value: string;
  /** Its position in the condition's values. */
  index: number;
}

const NO_VALUES: readonly ValueHit[] = [];

/**
 * Each value named exactly (no wildcards) in conditions on a key, once, at its first occurrence
 * in document order: e.g. every aws:SourceVpce id. Kept with the document's index: a 20 KB
 * policy names one endpoint in a hundred statements, and rules ask for its ids on every review.
 */
export function firstExactValuesOnKey(doc: PolicyDocument | undefined, key: string): readonly ValueHit[] {
  if (!doc) return NO_VALUES;
  const index = documentIndex(doc);
  const lower = key.toLowerCase();
  let values = index.firstValues.get(lower);
  if (values === undefined) {
    const seen = new Set<string>();
    const found: ValueHit[] = [];
    for (const hit of index.byKey.get(lower) ?? NONE) {
      const all = hit.condition.values;
      for (let i = 0; i < all.length; i++) {
        const value = all[i] as string;
        if (hasWildcard(value) || seen.has(value)) continue;
        seen.add(value);
        found.push({ statement: hit.statement, condition: hit.condition, value, index: i });
      }
    }
    index.firstValues.set(lower, (values = found.length > 0 ? found : NO_VALUES));
  }
  return values;
}

/** Ids named exactly (no wildcards) in conditions on a key, e.g. every aws:SourceVpce value. */
export function exactValuesOnKey(doc: PolicyDocument | undefined, key: string): Set<string> {
  return new Set(firstExactValuesOnKey(doc, key).map((hit) => hit.value));
}

/** The statements with a condition on a key, each once, in document order. */
export function statementsWithKey(doc: PolicyDocument | undefined, key: string): readonly Statement[] {
  if (!doc) return [];
  const index = documentIndex(doc);
  const lower = key.toLowerCase();
  let statements = index.statements.get(lower);
  if (statements === undefined) {
    statements = [...new Set((index.byKey.get(lower) ?? NONE).map((hit) => hit.statement))];
    index.statements.set(lower, statements);
  }
  return statements;
}

interface DocumentIndex {
  byKey: Map<string, ConditionHit[]>;
  /** Filled per key on first question (firstExactValuesOnKey, statementsWithKey). */
  firstValues: Map<string, readonly ValueHit[]>;
  statements: Map<string, readonly Statement[]>;
}

/**
 * The indexes of the documents asked about most recently. Bounded, not weak: a `check` of 50k
 * resources asks about every policy of the inventory once or twice, and indexes kept for all of
 * them would cost memory that no later question saves. An index is as large as its document's
 * conditions (a policy is at most 20 KB).
 */
const indexes = new RecentlyUsedMap<PolicyDocument, DocumentIndex>(256);

function documentIndex(doc: PolicyDocument): DocumentIndex {
  let index = indexes.get(doc);
  if (index !== undefined) return index;
  const byKey = new Map<string, ConditionHit[]>();
  for (const statement of doc.statements) {
    for (const condition of statement.conditions) {
      const key = condition.key.toLowerCase();
      const hits = byKey.get(key);
      if (hits === undefined) byKey.set(key, [{ statement, condition }]);
      else hits.push({ statement, condition });
    }
  }
  index = { byKey, firstValues: new Map(), statements: new Map() };
  indexes.set(doc, index);
  return index;
}
