/**
 * The community provider's structured bucket policy (s3.aws.crossplane.io Bucket and
 * BucketPolicy `spec.forProvider.policy`) → the plain IAM JSON the controller sends to AWS.
 * Mirrors the controller's serialiser (pkg/clients/s3/bucketpolicy.go): single-element lists
 * become scalars only in the text AWS sees, which does not change meaning, so lists are kept.
 * Principals given by iamUserArnRef/…Selector are resolved only by the provider: they are left
 * out and listed in `unresolved`; a principal left with nothing else gets a placeholder ARN.
 */
import { describe, isRecord, type JsonRecord } from "./common.js";

/** A reference inside the policy that only the provider resolves (iamUserArnRef, …). */
export interface UnresolvedPolicyReference {
  /** Path inside the policy document, e.g. Statement[0].Principal.AWS[0]. */
  path: string;
  message: string;
}

export interface StructuredPolicyResult {
  /** Plain IAM JSON ({Version, Id, Statement[]}), ready for parsePolicy. */
  document: JsonRecord;
  /** References and selectors that are not resolved here and were left out of the document. */
  unresolved: UnresolvedPolicyReference[];
  /** Shapes the controller would reject (a condition without a value, …). */
  problems: UnresolvedPolicyReference[];
  /**
   * Where each rendered element came from in the manifest: a path of the IAM JSON
   * (`Statement[0].Condition.NotIpAddress["aws:SourceIp"]`) → the structured field
   * (`statements[0].condition[1].conditions[0]`), so findings name what the user wrote.
   */
  sourcePaths: Record<string, string>;
}

const STATEMENT_FIELDS: [from: string, to: string][] = [
  ["action", "Action"],
  ["notAction", "NotAction"],
  ["resource", "Resource"],
  ["notResource", "NotResource"],
];

export function structuredPolicyToIam(policy: JsonRecord): StructuredPolicyResult {
  const result: StructuredPolicyResult = { document: {}, unresolved: [], problems: [], sourcePaths: {} };
  const document = result.document;
  if (policy.version !== undefined) document.Version = policy.version;
  if (typeof policy.id === "string" && policy.id !== "") document.Id = policy.id;
  const statements = policy.statements;
  if (Array.isArray(statements)) {
    document.Statement = statements.map((statement, index) => convertStatement(statement, index, result));
  } else if (statements !== undefined && statements !== null) {
    // Passed through so that the policy grammar check names the problem.
    document.Statement = statements;
  }
  return result;
}

function convertStatement(statement: unknown, index: number, result: StructuredPolicyResult): unknown {
  if (!isRecord(statement)) return statement;
  const path = `Statement[${index}]`;
  const source = `statements[${index}]`;
  result.sourcePaths[path] = source;
  for (const [from, to] of [
    ["sid", "Sid"],
    ["effect", "Effect"],
    ["principal", "Principal"],
    ["notPrincipal", "NotPrincipal"],
    ["condition", "Condition"],
    ...STATEMENT_FIELDS,
  ]) {
    result.sourcePaths[`${path}.${to}`] = `${source}.${from}`;
  }
  const converted: JsonRecord = {};
  if (typeof statement.sid === "string") converted.Sid = statement.sid;
  if (statement.effect !== undefined) converted.Effect = statement.effect;
  if (statement.principal !== undefined && statement.principal !== null) {
    converted.Principal = convertPrincipal(statement.principal, `${path}.Principal`, result);
  }
  if (statement.notPrincipal !== undefined && statement.notPrincipal !== null) {
    converted.NotPrincipal = convertPrincipal(statement.notPrincipal, `${path}.NotPrincipal`, result);
  }
  for (const [from, to] of STATEMENT_FIELDS) {
    const value = statement[from];
    // The controller leaves out empty lists.
    if (Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null) converted[to] = value;
  }
  if (statement.condition !== undefined && statement.condition !== null) {
    converted.Condition = convertConditions(statement.condition, `${path}.Condition`, `${source}.condition`, result);
  }
  return converted;
}

function convertPrincipal(principal: unknown, path: string, result: StructuredPolicyResult): unknown {
  if (!isRecord(principal)) return principal;
  if (principal.allowAnon === true) return "*";
  const converted: JsonRecord = {};
  if (Array.isArray(principal.service) && principal.service.length > 0) converted.Service = principal.service;
  if (typeof principal.federated === "string") converted.Federated = principal.federated;
  const aws: string[] = [];
  const placeholders: string[] = [];
  const awsPrincipals = Array.isArray(principal.awsPrincipals) ? principal.awsPrincipals : [];
  awsPrincipals.forEach((entry, index) => {
    const entryPath = `${path}.AWS[${index}]`;
    const value = awsPrincipalValue(entry, entryPath, result);
    if (typeof value === "string") aws.push(value);
    else if (value !== undefined) placeholders.push(value.placeholder);
  });
  if (aws.length > 0) converted.AWS = aws;
  // A principal made only of unresolved references still names specific principals, never
  // "everyone" and never "missing": keep one placeholder ARN so the statement keeps that meaning.
  else if (placeholders.length > 0 && Object.keys(converted).length === 0) converted.AWS = placeholders.slice(0, 1);
  return converted;
}

/** An IAM ARN in an account that does not exist, standing for a principal only the provider knows. */
export const UNRESOLVED_USER_ARN = "arn:aws:iam::000000000000:user/s3-vpce-guard-unresolved-reference";
export const UNRESOLVED_ROLE_ARN = "arn:aws:iam::000000000000:role/s3-vpce-guard-unresolved-reference";

function awsPrincipalValue(entry: unknown, path: string, result: StructuredPolicyResult): string | { placeholder: string } | undefined {
  if (!isRecord(entry)) {
    result.problems.push({ path, message: `${path} must be an object with awsAccountId, iamUserArn or iamRoleArn` });
    return undefined;
  }
  // The controller's order: account id, then role ARN, then user ARN.
  for (const key of ["awsAccountId", "iamRoleArn", "iamUserArn"]) {
    const value = entry[key];
    if (typeof value === "string" && value !== "") return value;
  }
  for (const key of ["iamRoleArnRef", "iamRoleArnSelector", "iamUserArnRef", "iamUserArnSelector"]) {
    if (entry[key] !== undefined && entry[key] !== null) {
      result.unresolved.push({
        path,
        message:
          `${key} is resolved by the provider when it reconciles; the ARN is not known here, ` +
          `so this principal is left out of the checks (set ${key.replace(/(Ref|Selector)$/, "")} to have it checked)`,
      });
      return { placeholder: key.startsWith("iamRole") ? UNRESOLVED_ROLE_ARN : UNRESOLVED_USER_ARN };
    }
  }
  result.problems.push({ path, message: `${path} names no principal: set awsAccountId, iamUserArn or iamRoleArn` });
  return undefined;
}

function convertConditions(conditions: unknown, path: string, source: string, result: StructuredPolicyResult): unknown {
  if (!Array.isArray(conditions)) return conditions;
  const converted: JsonRecord = {};
  conditions.forEach((block, index) => {
    if (!isRecord(block) || typeof block.operatorKey !== "string") {
      result.problems.push({
        path: `${path}[${index}]`,
        message: `condition[${index}] needs an operatorKey (e.g. StringNotEquals), got ${describe(block)}`,
      });
      return;
    }
    const operator = block.operatorKey;
    const blockSource = `${source}[${index}]`;
    result.sourcePaths[`${path}.${operator}`] = blockSource;
    // Like the controller's map, a repeated operator replaces the earlier block.
    const values: JsonRecord = {};
    const entries = Array.isArray(block.conditions) ? block.conditions : [];
    entries.forEach((entry: unknown, entryIndex: number) => {
      if (!isRecord(entry) || typeof entry.key !== "string") return;
      const entrySource = `${blockSource}.conditions[${entryIndex}]`;
      const entryPath = `${path}.${operator}[${JSON.stringify(entry.key)}]`;
      result.sourcePaths[entryPath] = entrySource;
      if (Array.isArray(entry.listValue))
        entry.listValue.forEach((_: unknown, n: number) => (result.sourcePaths[`${entryPath}[${n}]`] = `${entrySource}.listValue[${n}]`));
      const value = conditionValue(entry);
      if (value === undefined) {
        result.problems.push({
          path: `${path}.${operator}["${entry.key}"]`,
          message: `condition ${operator} ${entry.key} has no value: set stringValue, booleanValue, numericValue, dateValue or listValue`,
        });
        return;
      }
      values[entry.key] = value;
    });
    converted[operator] = values;
  });
  return converted;
}

function conditionValue(entry: JsonRecord): unknown {
  for (const key of ["stringValue", "booleanValue", "numericValue", "dateValue", "listValue"]) {
    const value = entry[key];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
