/**
 * Back from the typed document to IAM JSON, and a semantic comparison for drift detection.
 */

import { accountOfEntry } from "./principal.js";
import type { Condition, PolicyDocument, Principal, PrincipalMap, Statement } from "./types.js";

type JsonValue = string | JsonValue[] | { [key: string]: JsonValue };

const PRINCIPAL_TYPES: readonly (keyof PrincipalMap)[] = ["AWS", "Service", "Federated", "CanonicalUser"];

/**
 * IAM JSON for a document. Lists stay lists and condition values stay strings, so
 * parse → serialise → parse gives the same document (a single-object Statement, whose path is
 * "Statement", is written back as a single object to keep its path). Conditions that could
 * not be read (no operator or key) are left out.
 */
export function serializePolicy(document: PolicyDocument): string {
  return JSON.stringify(toJson(document));
}

function toJson(document: PolicyDocument): { [key: string]: JsonValue } {
  const json: { [key: string]: JsonValue } = {};
  if (document.version !== undefined) json.Version = document.version;
  if (document.id !== undefined) json.Id = document.id;
  const statements = document.statements.map(statementToJson);
  const single = document.statements.length === 1 && document.statements[0]?.path === "Statement";
  json.Statement = single ? (statements[0] as JsonValue) : statements;
  return json;
}

function statementToJson(statement: Statement): { [key: string]: JsonValue } {
  const json: { [key: string]: JsonValue } = {};
  if (statement.sid !== undefined) json.Sid = statement.sid;
  json.Effect = statement.effect;
  if (statement.principal !== undefined) json.Principal = principalToJson(statement.principal);
  if (statement.notPrincipal !== undefined) json.NotPrincipal = principalToJson(statement.notPrincipal);
  if (statement.action !== undefined) json.Action = [...statement.action];
  if (statement.notAction !== undefined) json.NotAction = [...statement.notAction];
  if (statement.resource !== undefined) json.Resource = [...statement.resource];
  if (statement.notResource !== undefined) json.NotResource = [...statement.notResource];
  const condition = conditionsToJson(statement.conditions);
  if (Object.keys(condition).length > 0) json.Condition = condition;
  return json;
}

function principalToJson(principal: Principal): JsonValue {
  if (principal === "*") return "*";
  const json: { [key: string]: JsonValue } = {};
  for (const type of PRINCIPAL_TYPES) {
    const entries = principal[type];
    if (entries !== undefined) json[type] = [...entries];
  }
  return json;
}

function conditionsToJson(conditions: readonly Condition[]): { [key: string]: { [key: string]: JsonValue } } {
  const json: { [key: string]: { [key: string]: JsonValue } } = {};
  for (const condition of conditions) {
    if (condition.operator === "" || condition.key === "") continue;
    const block = (json[condition.operator] ??= {});
    block[condition.key] = [...condition.values];
  }
  return json;
}

/**
 * Do two documents grant and deny the same thing? Ignores statement order, value order,
 * duplicates, Sid, Id and paths; compares actions, condition keys and operator spellings
 * case-insensitively; treats an account id and its root ARN as the same principal, and a
 * missing Version as "2008-10-17" (IAM's default).
 */
export function policiesEquivalent(a: PolicyDocument, b: PolicyDocument): boolean {
  const left = canonicalDocument(a);
  const right = canonicalDocument(b);
  return (
    left.version === right.version &&
    left.statements.length === right.statements.length &&
    left.statements.every((statement, index) => statement === right.statements[index])
  );
}

function canonicalDocument(document: PolicyDocument): { version: string; statements: string[] } {
  const statements = [...new Set(document.statements.map(canonicalStatement))].sort();
  return { version: document.version ?? "2008-10-17", statements };
}

function sortedUnique(values: readonly string[] | undefined, normalise: (value: string) => string = (value) => value): string[] | null {
  return values === undefined ? null : [...new Set(values.map(normalise))].sort();
}

function canonicalPrincipal(principal: Principal | undefined): unknown {
  if (principal === undefined) return null;
  if (principal === "*") return "*";
  return PRINCIPAL_TYPES.map((type) =>
    sortedUnique(principal[type], (entry) => {
      if (type === "AWS") return accountOfEntry(entry) ?? entry;
      return type === "Service" ? entry.toLowerCase() : entry;
    }),
  );
}

function canonicalStatement(statement: Statement): string {
  const conditions = [
    ...new Set(
      statement.conditions.map((condition) =>
        JSON.stringify([
          condition.baseOperator ?? condition.operator.toLowerCase(),
          condition.setOperator ?? null,
          condition.ifExists,
          condition.key.toLowerCase(),
          sortedUnique(condition.values),
          condition.valid,
        ]),
      ),
    ),
  ].sort();
  return JSON.stringify([
    statement.effect,
    canonicalPrincipal(statement.principal),
    canonicalPrincipal(statement.notPrincipal),
    sortedUnique(statement.action, (action) => action.toLowerCase()),
    sortedUnique(statement.notAction, (action) => action.toLowerCase()),
    sortedUnique(statement.resource),
    sortedUnique(statement.notResource),
    conditions,
  ]);
}
