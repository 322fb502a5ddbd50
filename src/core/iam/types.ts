/**
 * The typed IAM policy document that every other module reads. Parsing (parse.ts) turns a
 * JSON string, a plain object or the community provider's structured shape into this;
 * nothing outside src/iam reads raw policy JSON.
 */

export type Effect = "Allow" | "Deny";

/** `"*"` is "everyone" (Principal: "*" or {"AWS": "*"}). */
export type Principal = "*" | PrincipalMap;

export interface PrincipalMap {
  AWS?: string[];
  Service?: string[];
  Federated?: string[];
  CanonicalUser?: string[];
}

export type SetOperator = "ForAnyValue" | "ForAllValues";

/** One key under one operator, e.g. {"StringNotEquals": {"aws:sourceVpce": "vpce-1a2b3c4d"}}. */
export interface Condition {
  /** The operator as written, e.g. "ForAnyValue:StringLikeIfExists". */
  operator: string;
  /** The operator without set prefix or IfExists suffix, e.g. "StringLike". Undefined when unknown. */
  baseOperator: ConditionOperator | undefined;
  setOperator: SetOperator | undefined;
  ifExists: boolean;
  /** The condition key as written (keys compare case-insensitively). */
  key: string;
  /** Values as strings (booleans and numbers are stringified, as IAM does). */
  values: string[];
  /** JSON path inside the policy, e.g. `Statement[1].Condition.NotIpAddress["aws:SourceIp"]`. */
  path: string;
  /**
   * False when the operator is unknown or a value cannot be read for the operator
   * (a bad CIDR for IpAddress, a non-number for Numeric*, …). The evaluator fails closed
   * on such a condition: it never lets it grant and always lets it deny.
   */
  valid: boolean;
}

export type ConditionOperator =
  | "StringEquals"
  | "StringNotEquals"
  | "StringEqualsIgnoreCase"
  | "StringNotEqualsIgnoreCase"
  | "StringLike"
  | "StringNotLike"
  | "NumericEquals"
  | "NumericNotEquals"
  | "NumericLessThan"
  | "NumericLessThanEquals"
  | "NumericGreaterThan"
  | "NumericGreaterThanEquals"
  | "DateEquals"
  | "DateNotEquals"
  | "DateLessThan"
  | "DateLessThanEquals"
  | "DateGreaterThan"
  | "DateGreaterThanEquals"
  | "Bool"
  | "BinaryEquals"
  | "IpAddress"
  | "NotIpAddress"
  | "ArnEquals"
  | "ArnLike"
  | "ArnNotEquals"
  | "ArnNotLike"
  | "Null";

export interface Statement {
  /** Position in the Statement array (0 when Statement is a single object). */
  index: number;
  /** JSON path of the statement, e.g. "Statement[1]" (or "Statement" for a single object). */
  path: string;
  sid: string | undefined;
  effect: Effect;
  principal: Principal | undefined;
  notPrincipal: Principal | undefined;
  action: string[] | undefined;
  notAction: string[] | undefined;
  resource: string[] | undefined;
  notResource: string[] | undefined;
  conditions: Condition[];
}

export interface PolicyDocument {
  version: string | undefined;
  id: string | undefined;
  statements: Statement[];
}

/** Where a policy is attached decides which grammar rules apply (a bucket policy needs Principal). */
export type PolicyKind = "bucket" | "endpoint";

export interface PolicyIssue {
  /** JSON path inside the policy ("" for the document itself). */
  path: string;
  message: string;
  /** "error" makes the policy invalid; "warning" is a note (e.g. a non-S3 action). */
  severity: "error" | "warning";
}

export interface ParsedPolicy {
  /** Undefined only when nothing usable could be read (not JSON, not an object, no statements). */
  document: PolicyDocument | undefined;
  issues: PolicyIssue[];
}

/** Who is asking. Omit `principal` to ask "may some principal do this?" (see evaluate.ts). */
export type RequestPrincipal = { type: "AWS"; id: string } | { type: "Service"; id: string } | { type: "Anonymous" };

export interface AccessRequest {
  action: string;
  resource: string;
  principal?: RequestPrincipal;
  /**
   * Request context keys (compare case-insensitively). A key that is absent is absent:
   * negated operators then match, plain ones do not, …IfExists matches, Null tests absence.
   */
  context?: Record<string, string | string[] | undefined>;
}

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

export interface Evaluation {
  decision: Decision;
  /** Indexes of statements that applied (with their effect), for messages. */
  matched: { index: number; effect: Effect; path: string }[];
}
