/**
 * parsePolicy: JSON string or plain object → typed PolicyDocument plus grammar issues.
 * It never throws. It keeps every statement it can read, even when the policy has errors,
 * so that rules can still inspect it; a statement that cannot be read at all (not an object,
 * no usable Effect) is left out and reported.
 *
 * Element names are case-sensitive as in IAM (`statement` is not `Statement`); condition
 * operator names are read case-insensitively with a warning (see conditions.ts).
 */

import { isS3Action } from "./actions.js";
import { KNOWN_PARTITIONS, parseArn } from "./arn.js";
import { conditionValueProblem, parseConditionOperator } from "./conditions.js";
import { locateJsonError } from "./json-error.js";
import type {
  Condition,
  Effect,
  ParsedPolicy,
  PolicyDocument,
  PolicyIssue,
  PolicyKind,
  Principal,
  PrincipalMap,
  Statement,
} from "./types.js";
import { wildcardCount } from "./glob.js";
import { matchesWildcard } from "./wildcard.js";
import { chargeWork, isWorkBudgetExceeded } from "./work-budget.js";
import { intern } from "../util/intern.js";
import { RecentlyUsedMap } from "../util/recently-used-map.js";
import { isRecord as isObject } from "../util/record.js";

export const SUPPORTED_VERSIONS: readonly string[] = ["2012-10-17", "2008-10-17"];
const TOP_LEVEL_ELEMENTS = ["Version", "Id", "Statement"] as const;
const STATEMENT_ELEMENTS = [
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
] as const;
const PRINCIPAL_TYPES = ["AWS", "Service", "Federated", "CanonicalUser"] as const;
/** S3 ARN resource types that carry a region and account (everything but buckets and objects). */
const REGIONAL_S3_RESOURCES = ["accesspoint/", "job/", "storage-lens/", "storage-lens-group/", "access-grants/", "async-request/"];
const ACTION_FORM = /^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/;
const ACCOUNT_ID = /^\d{12}$/;
const UNIQUE_ID = /^A[A-Z0-9]{15,127}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EXAMPLE_POLICY = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"}]}`;

/**
 * Bounds on what one policy may cost (documented in the README, "Limits"). AWS caps bucket
 * policies at 20 KB and endpoint policies at 20,480 characters, so real policies stay far
 * below every one of them.
 */
export const POLICY_LIMITS = {
  /** Characters of a policy text: 6× AWS's 20 KB cap, room for indentation and comments' worth of slack. */
  maxPolicyChars: 128 * 1024,
  /** JSON nesting (a policy needs 6: document, Statement, statement, Condition, operator, values). */
  maxDepth: 32,
  /** Characters of one Action, Resource or condition pattern (ARNs are at most 2,048). */
  maxPatternChars: 2048,
  /** `*` and `?` in one pattern. */
  maxPatternWildcards: 64,
  /** Issues kept per policy; the rest are counted in one closing issue. */
  maxIssues: 50,
  /** Characters of one issue message. */
  maxMessageChars: 600,
} as const;

/**
 * Work steps charged per statement, list entry, condition value and issue: reading one costs
 * about as much as comparing a few dozen characters, the matcher's step.
 */
const ELEMENT_COST = 32;

type JsonObject = Record<string, unknown>;

class IssueList {
  readonly issues: PolicyIssue[] = [];
  private omitted = 0;
  error(path: string, message: string): void {
    this.add({ path, message, severity: "error" });
  }
  warning(path: string, message: string): void {
    this.add({ path, message, severity: "warning" });
  }
  /** The kept issues, plus one that counts the ones left out (so a huge policy stays cheap to report). */
  finish(): PolicyIssue[] {
    if (this.omitted === 0) return this.issues;
    const anyError = this.issues.some((issue) => issue.severity === "error");
    return [
      ...this.issues,
      {
        path: "",
        message: `… and ${this.omitted} more problems in this policy (only the first ${POLICY_LIMITS.maxIssues} are listed); fix the ones above and check again`,
        severity: anyError ? "error" : "warning",
      },
    ];
  }
  private add(issue: PolicyIssue): void {
    chargeWork(ELEMENT_COST, "reading the policy");
    if (this.issues.length >= POLICY_LIMITS.maxIssues) {
      this.omitted += 1;
      return;
    }
    const message =
      issue.message.length > POLICY_LIMITS.maxMessageChars
        ? `${issue.message.slice(0, POLICY_LIMITS.maxMessageChars - 1)}…`
        : issue.message;
    this.issues.push({ ...issue, path: shorten(issue.path, 200), message });
  }
}

/** A value quoted for a message, cut to `max` characters: messages never grow with input. */
export function quoted(value: string, max = 100): string {
  return JSON.stringify(shorten(value, max));
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function parsePolicy(input: unknown, kind: PolicyKind): ParsedPolicy {
  if (typeof input !== "string") return parseUncached(input, kind);
  // The same policy text arrives again and again (every UPDATE of an object, every relist,
  // every audit): parse it once. Results are never mutated after parsing, so they are shared.
  const cached = cachedPolicy(input, kind);
  if (cached) return cached.parsed;
  const parsed = parseUncached(input, kind);
  if (input.length <= MAX_CACHED_POLICY_CHARS) rememberPolicy({ kind, text: input, parsed });
  return parsed;
}

/**
 * Parsed policy texts, the least recently used dropped first (RecentlyUsedMap), bounded by characters rather than entries: a parsed policy
 * costs a small multiple of its text (its issues are capped), so bounding the texts bounds
 * the whole cache (AWS caps bucket policies at 20 KB; 4 Mi characters hold hundreds of them).
 *
 * Found by length, then compared: a text fresh from a request has no hash yet, and hashing
 * 20 KB costs about 25 µs, a comparison with the one cached text of that length about 2 µs
 * (it stops at the first differing character). At most MAX_SAME_LENGTH texts share a length,
 * which bounds a lookup to that many comparisons whatever policies the cluster holds.
 */
interface CachedPolicy {
  readonly kind: PolicyKind;
  readonly text: string;
  readonly parsed: ParsedPolicy;
}
const MAX_CACHED_POLICY_CHARS = 32 * 1024;
const MAX_CACHE_CHARS = 4 * 1024 * 1024;
const MAX_SAME_LENGTH = 8;
/** The characters bound and which entry goes (a hit marks it used); the lists by length are the lookup. */
const policyRecency = new RecentlyUsedMap<CachedPolicy, true>(MAX_CACHE_CHARS, (entry) => dropFromLengthList(entry));
const policiesByLength = new Map<number, CachedPolicy[]>();

function cachedPolicy(text: string, kind: PolicyKind): CachedPolicy | undefined {
  const entry = policiesByLength.get(text.length)?.find((candidate) => candidate.kind === kind && candidate.text === text);
  if (entry) policyRecency.get(entry);
  return entry;
}

function rememberPolicy(entry: CachedPolicy): void {
  const length = entry.text.length;
  const sameLength = policiesByLength.get(length);
  if (sameLength !== undefined && sameLength.length >= MAX_SAME_LENGTH) {
    const oldest = sameLength[0] as CachedPolicy;
    policyRecency.delete(oldest);
    dropFromLengthList(oldest);
  }
  policyRecency.set(entry, true, length);
  const list = policiesByLength.get(length);
  if (list) list.push(entry);
  else policiesByLength.set(length, [entry]);
}

function dropFromLengthList(entry: CachedPolicy): void {
  const list = policiesByLength.get(entry.text.length) ?? [];
  const at = list.indexOf(entry);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) policiesByLength.delete(entry.text.length);
}

function parseUncached(input: unknown, kind: PolicyKind): ParsedPolicy {
  try {
    return parseChecked(input, kind);
  } catch (error) {
    // The review's work budget ran out: the engine answers "not checked", nothing is cached.
    if (isWorkBudgetExceeded(error)) throw error;
    // Only reachable on pathological input the checks before it did not foresee.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      document: undefined,
      issues: [
        {
          path: "",
          message: `policy could not be read (${reason}); simplify it to a plain IAM document such as ${EXAMPLE_POLICY}`,
          severity: "error",
        },
      ],
    };
  }
}

function parseChecked(input: unknown, kind: PolicyKind): ParsedPolicy {
  const issues = new IssueList();
  const root = readRoot(input, issues);
  if (root === undefined) return { document: undefined, issues: issues.finish() };
  const document = readDocument(root, kind, issues);
  return { document, issues: issues.finish() };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  return `a ${typeof value}`;
}

function readRoot(input: unknown, issues: IssueList): JsonObject | undefined {
  let value = input;
  if (typeof input === "string") {
    const text = input.replace(/^\uFEFF/, "").trim();
    if (text === "") {
      issues.error("", `policy is empty; write an IAM policy document such as ${EXAMPLE_POLICY}`);
      return undefined;
    }
    // The nesting scan stops at the size limit: a text over it is refused either way, and
    // deep nesting near its start still gets the more precise message.
    const scanned = Math.min(text.length, POLICY_LIMITS.maxPolicyChars + 1);
    chargeWork(Math.ceil(scanned / 16), "reading the policy");
    const tooDeep = textNestingBeyond(text, POLICY_LIMITS.maxDepth, scanned);
    if (tooDeep !== undefined) {
      const { line, column } = lineAndColumn(text, tooDeep);
      issues.error(
        "",
        `policy nests arrays and objects more than ${POLICY_LIMITS.maxDepth} levels deep (at line ${line} column ${column}); an IAM policy needs 6, so flatten it to Version, Statement and its elements`,
      );
      return undefined;
    }
    if (text.length > POLICY_LIMITS.maxPolicyChars) {
      issues.error(
        "",
        `policy is ${text.length} characters long, more than the ${POLICY_LIMITS.maxPolicyChars} s3-vpce-guard reads; AWS accepts at most 20 KB (bucket policies) or 20,480 characters (endpoint policies), so shorten it`,
      );
      return undefined;
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      issues.error("", jsonErrorMessage(text, error));
      return undefined;
    }
  }
  if (!isObject(value)) {
    issues.error("", `policy must be a JSON object, but it is ${describe(value)}; write a document such as ${EXAMPLE_POLICY}`);
    return undefined;
  }
  if (typeof input !== "string" && valueNestingBeyond(value, POLICY_LIMITS.maxDepth)) {
    issues.error(
      "",
      `policy nests arrays and objects more than ${POLICY_LIMITS.maxDepth} levels deep; an IAM policy needs 6, so flatten it to Version, Statement and its elements`,
    );
    return undefined;
  }
  return value;
}

/** Quotes and brackets: the only characters that matter for nesting (a plain character class, no backtracking). */
const STRUCTURE = /["[\]{}]/g;

/**
 * The offset where JSON text first nests deeper than `limit`, else undefined. One pass that
 * jumps from bracket to bracket and over strings; checked before JSON.parse because V8 takes
 * half a second to parse a million nested brackets.
 */
export function textNestingBeyond(text: string, limit: number, scanChars = text.length): number | undefined {
  // Nesting needs an opening bracket per level: with `limit` or fewer in the text, none can be
  // too deep. Counting them is a native search per bracket, about a tenth of the scan below on
  // a 20 KB AdmissionReview whose policy string is full of escaped quotes.
  if (openingBracketsAtMost(text, limit, scanChars)) return undefined;
  let depth = 0;
  STRUCTURE.lastIndex = 0;
  for (let match = STRUCTURE.exec(text); match !== null && match.index < scanChars; match = STRUCTURE.exec(text)) {
    const char = match[0];
    if (char === '"') {
      const end = endOfString(text, STRUCTURE.lastIndex);
      if (end < 0) return undefined;
      STRUCTURE.lastIndex = end;
    } else if (char === "{" || char === "[") {
      depth += 1;
      if (depth > limit) return match.index;
    } else depth -= 1;
  }
  return undefined;
}

const OPENING_BRACKETS = ["{", "["] as const;

/** Whether `text` has at most `limit` of `{` and `[` before `end` (stops counting past the limit). */
function openingBracketsAtMost(text: string, limit: number, end: number): boolean {
  let count = 0;
  for (const bracket of OPENING_BRACKETS) {
    for (let at = text.indexOf(bracket); at >= 0 && at < end; at = text.indexOf(bracket, at + 1)) {
      count += 1;
      if (count > limit) return false;
    }
  }
  return true;
}

/** The index after the quote that closes a string starting at `from` (-1 when none does). */
function endOfString(text: string, from: number): number {
  let at = from;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (quote - backslashes - 1 >= from && text.charCodeAt(quote - backslashes - 1) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/** Whether a structured value nests deeper than `limit` (iterative: no stack to exhaust). */
function valueNestingBeyond(root: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  let visited = 0;
  while (pending.length > 0) {
    const { value, depth } = pending.pop() as { value: unknown; depth: number };
    if (typeof value !== "object" || value === null) continue;
    if (depth > limit) return true;
    visited += 1;
    if (visited % 64 === 0) chargeWork(64, "reading the policy");
    for (const child of Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}

function jsonErrorMessage(text: string, error: unknown): string {
  const located = locateJsonError(text);
  if (located) {
    const { line, column } = lineAndColumn(text, located.offset);
    return `policy is not valid JSON: ${located.problem} at line ${line} column ${column}; fix the syntax there (quote every key and string, no trailing commas)`;
  }
  // Our scanner found nothing (e.g. nesting too deep): fall back to V8's message, without its
  // echo of the whole input.
  const reason = (error instanceof Error ? error.message : String(error)).replace(/, ".*" is not valid JSON$/s, "");
  return `policy is not valid JSON: ${reason}; fix the syntax (quote every key and string, no trailing commas)`;
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return { line, column };
}

/** `base.Name` for identifiers, `base["aws:SourceIp"]` otherwise. */
function memberPath(base: string, name: string): string {
  if (IDENTIFIER.test(name)) return base === "" ? name : `${base}.${name}`;
  return `${base}[${JSON.stringify(name)}]`;
}

function keyPath(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}

function suggestion(name: string, known: readonly string[]): string {
  const close = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return close ? ` (element names are case-sensitive: write "${close}")` : "";
}

function readDocument(root: JsonObject, kind: PolicyKind, issues: IssueList): PolicyDocument | undefined {
  for (const name of Object.keys(root)) {
    if (!(TOP_LEVEL_ELEMENTS as readonly string[]).includes(name)) {
      issues.warning(
        memberPath("", name),
        `unknown top-level element "${name}"${suggestion(name, TOP_LEVEL_ELEMENTS)}; a policy has only Version, Id and Statement, so remove it or fix its name`,
      );
    }
  }
  const version = readVersion(root.Version, issues);
  const id = readOptionalString(root.Id, "Id", issues);
  const statements = readStatements(root, kind, issues);
  if (statements === undefined) return undefined;
  return { version, id, statements };
}

function readVersion(value: unknown, issues: IssueList): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && SUPPORTED_VERSIONS.includes(value)) return value;
  issues.error(
    "Version",
    `Version ${typeof value === "string" ? `"${value}"` : describe(value)} is not a policy language version; write "Version": "2012-10-17"`,
  );
  return typeof value === "string" ? value : undefined;
}

function readOptionalString(value: unknown, path: string, issues: IssueList): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  issues.error(path, `${path} must be a string, but it is ${describe(value)}; quote it`);
  return undefined;
}

function readStatements(root: JsonObject, kind: PolicyKind, issues: IssueList): Statement[] | undefined {
  const value = root.Statement;
  if (value === undefined) {
    issues.error("", `policy has no Statement; add "Statement": [ ... ] with at least one statement, e.g. ${EXAMPLE_POLICY}`);
    return undefined;
  }
  let entries: { value: unknown; path: string; index: number }[];
  if (Array.isArray(value)) {
    entries = value.map((entry, index) => ({ value: entry, path: `Statement[${index}]`, index }));
  } else if (isObject(value)) {
    entries = [{ value, path: "Statement", index: 0 }];
  } else {
    issues.error("Statement", `Statement must be an object or an array of objects, but it is ${describe(value)}`);
    return undefined;
  }
  if (entries.length === 0) {
    issues.error("Statement", `Statement is empty; add at least one statement with Effect, Principal, Action and Resource`);
    return undefined;
  }
  const statements = entries
    .map((entry) => readStatement(entry.value, entry.path, entry.index, kind, issues))
    .filter((statement): statement is Statement => statement !== undefined);
  return statements.length > 0 ? statements : undefined;
}

function readStatement(value: unknown, path: string, index: number, kind: PolicyKind, issues: IssueList): Statement | undefined {
  chargeWork(ELEMENT_COST, "reading policy statements");
  if (!isObject(value)) {
    issues.error(
      path,
      `statement must be an object with Effect, Principal, Action and Resource, but it is ${describe(value)}; this statement is ignored`,
    );
    return undefined;
  }
  for (const name of Object.keys(value)) {
    if (!(STATEMENT_ELEMENTS as readonly string[]).includes(name)) {
      issues.error(
        memberPath(path, name),
        `unknown statement element "${name}"${suggestion(name, STATEMENT_ELEMENTS)}; a statement has only ${STATEMENT_ELEMENTS.join(", ")}, and AWS rejects others`,
      );
    }
  }
  const effect = readEffect(value.Effect, `${path}.Effect`, issues);
  if (effect === undefined) return undefined;
  const sid = readOptionalString(value.Sid, `${path}.Sid`, issues);

  const principal = readPrincipal(value.Principal, `${path}.Principal`, issues);
  const notPrincipal = readPrincipal(value.NotPrincipal, `${path}.NotPrincipal`, issues);
  if (value.Principal !== undefined && value.NotPrincipal !== undefined) {
    issues.error(path, `statement has both Principal and NotPrincipal; keep only one of them`);
  }
  if (kind === "bucket" && value.Principal === undefined && value.NotPrincipal === undefined) {
    issues.error(
      path,
      `a bucket policy statement needs a Principal; add "Principal": "*" or e.g. {"AWS": "arn:aws:iam::123456789012:root"}`,
    );
  }

  const action = readActions(value.Action, `${path}.Action`, issues);
  const notAction = readActions(value.NotAction, `${path}.NotAction`, issues);
  requireExactlyOne(value, "Action", "NotAction", path, `"Action": "s3:GetObject"`, issues);

  const resource = readResources(value.Resource, `${path}.Resource`, issues);
  const notResource = readResources(value.NotResource, `${path}.NotResource`, issues);
  requireExactlyOne(value, "Resource", "NotResource", path, `"Resource": "arn:aws:s3:::my-bucket/*"`, issues);

  const conditions = value.Condition === undefined ? [] : readConditions(value.Condition, `${path}.Condition`, issues);
  return { index, path, sid, effect, principal, notPrincipal, action, notAction, resource, notResource, conditions };
}

function requireExactlyOne(statement: JsonObject, name: string, negated: string, path: string, example: string, issues: IssueList): void {
  const hasPlain = statement[name] !== undefined;
  const hasNegated = statement[negated] !== undefined;
  if (hasPlain && hasNegated) issues.error(path, `statement has both ${name} and ${negated}; keep only one of them`);
  if (!hasPlain && !hasNegated) issues.error(path, `statement has no ${name} (or ${negated}); add e.g. ${example}`);
}

function readEffect(value: unknown, path: string, issues: IssueList): Effect | undefined {
  if (value === "Allow" || value === "Deny") return value;
  if (typeof value === "string" && (value.toLowerCase() === "allow" || value.toLowerCase() === "deny")) {
    const effect: Effect = value.toLowerCase() === "allow" ? "Allow" : "Deny";
    issues.error(path, `Effect "${value}" is not valid (IAM is case-sensitive here); write "${effect}"`);
    return effect;
  }
  const what =
    value === undefined ? "statement has no Effect" : `Effect ${typeof value === "string" ? `"${value}"` : describe(value)} is not valid`;
  issues.error(path, `${what}; write "Effect": "Allow" or "Effect": "Deny" (this statement is ignored until then)`);
  return undefined;
}

/**
 * A string or an array of strings. Non-string entries are reported and dropped; a value of
 * the wrong type altogether is reported and read as absent.
 */
function readStringList(
  value: unknown,
  path: string,
  element: string,
  issues: IssueList,
  check: (entry: string, entryPath: string) => void = () => undefined,
): { value: string; path: string }[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") {
    check(value, path);
    return [{ value, path }];
  }
  if (!Array.isArray(value)) {
    issues.error(path, `${element} must be a string or an array of strings, but it is ${describe(value)}`);
    return undefined;
  }
  if (value.length === 0) issues.error(path, `${element} is empty; list at least one value`);
  const entries: { value: string; path: string }[] = [];
  value.forEach((entry, index) => {
    chargeWork(ELEMENT_COST, `reading ${element} entries`);
    const entryPath = `${path}[${index}]`;
    if (typeof entry === "string") {
      check(entry, entryPath);
      entries.push({ value: entry, path: entryPath });
    } else issues.error(entryPath, `${element} entries must be strings, but this one is ${describe(entry)}; quote it or remove it`);
  });
  return entries;
}

function readActions(value: unknown, path: string, issues: IssueList): string[] | undefined {
  const entries = readStringList(value, path, path.endsWith("NotAction") ? "NotAction" : "Action", issues, (action, actionPath) => {
    const tooCostly = patternProblem(action, "action");
    if (tooCostly) {
      issues.error(actionPath, tooCostly);
    } else if (action !== "*" && !ACTION_FORM.test(action)) {
      issues.error(actionPath, `action ${quoted(action)} is not of the form service:Action; write e.g. "s3:GetObject" or "s3:*"`);
    } else if (!isS3Action(action)) {
      issues.warning(
        actionPath,
        `action ${shorten(action, 100)} is not an S3 action; it has no effect in an S3 endpoint or bucket policy, so remove it or use an s3: action`,
      );
    }
  });
  return entries?.map((entry) => entry.value);
}

function readResources(value: unknown, path: string, issues: IssueList): string[] | undefined {
  const entries = readStringList(
    value,
    path,
    path.endsWith("NotResource") ? "NotResource" : "Resource",
    issues,
    (resource, resourcePath) => {
      const problem = s3ResourceProblem(resource);
      if (problem) issues.error(resourcePath, problem);
    },
  );
  return entries?.map((entry) => entry.value);
}

/**
 * Why a pattern is too long or has too many wildcards to be matched cheaply (with the fix),
 * or undefined. Such a pattern makes the policy invalid rather than expensive to check.
 */
export function patternProblem(pattern: string, what: string): string | undefined {
  if (pattern.length > POLICY_LIMITS.maxPatternChars) {
    return `${what} ${quoted(pattern, 60)} is ${pattern.length} characters long, more than the ${POLICY_LIMITS.maxPatternChars} s3-vpce-guard checks; shorten it (ARNs and keys are far shorter)`;
  }
  const wildcards = wildcardCount(pattern);
  if (wildcards > POLICY_LIMITS.maxPatternWildcards) {
    return `${what} ${quoted(pattern, 60)} has ${wildcards} wildcards (* and ?), more than the ${POLICY_LIMITS.maxPatternWildcards} s3-vpce-guard checks; one * covers any run of characters, so merge neighbouring wildcards`;
  }
  return undefined;
}

/** Why a Resource entry is not a usable S3 ARN (with the fix), or undefined. */
export function s3ResourceProblem(resource: string): string | undefined {
  if (resource === "*") return undefined;
  const tooCostly = patternProblem(resource, "resource");
  if (tooCostly) return tooCostly;
  const quoted = (): string => quotedValue(resource);
  if (/\s/.test(resource)) return `resource ${quoted()} contains whitespace; remove it (ARNs have no spaces)`;
  if (!resource.startsWith("arn:")) {
    const bucket = resource.replace(/^s3:\/\//, "").replace(/\/.*$/, "") || "my-bucket";
    return `resource ${quoted()} is not an ARN; write "arn:aws:s3:::${bucket}" for the bucket or "arn:aws:s3:::${bucket}/*" for its objects`;
  }
  const arn = parseArn(resource);
  if (!arn) return `resource ${quoted()} is not a complete ARN; S3 ARNs look like arn:aws:s3:::bucket or arn:aws:s3:::bucket/key`;
  if (!matchesWildcard(arn.service, "s3")) {
    return `resource ${quoted()} is a ${arn.service || "service-less"} ARN, not an S3 one; an S3 endpoint or bucket policy only governs S3 resources, so write arn:aws:s3:::bucket[/key]`;
  }
  if (!KNOWN_PARTITIONS.some((partition) => matchesWildcard(arn.partition, partition))) {
    return `resource ${quoted()} has unknown partition "${arn.partition}"; use one of ${KNOWN_PARTITIONS.join(", ")} (usually aws)`;
  }
  if (arn.region !== "" || arn.account !== "") {
    if (REGIONAL_S3_RESOURCES.some((prefix) => arn.resource.startsWith(prefix))) return undefined;
    // A wildcard that can cover those resource types (`arn:aws:s3:us-east-1:111122223333:*`,
    // `…:access*`) is valid too: it names the account's access points, jobs, Storage Lens, ….
    const lead = arn.resource.split(/[*?]/, 1)[0] ?? "";
    if (lead !== arn.resource && REGIONAL_S3_RESOURCES.some((prefix) => prefix.startsWith(lead) || lead.startsWith(prefix)))
      return undefined;
    return `resource ${quoted()} has a region or account, but S3 bucket and object ARNs leave both empty; write arn:${arn.partition}:s3:::${arn.resource || "bucket"}`;
  }
  if (arn.resource === "" || arn.resource.startsWith("/")) {
    return `resource ${quoted()} names no bucket; write arn:${arn.partition}:s3:::bucket or arn:${arn.partition}:s3:::bucket/*`;
  }
  return undefined;
}

const quotedValue = (value: string): string => quoted(value);

function readPrincipal(value: unknown, path: string, issues: IssueList): Principal | undefined {
  if (value === undefined) return undefined;
  if (value === "*") return "*";
  if (typeof value === "string") {
    issues.error(
      path,
      `${path.endsWith("NotPrincipal") ? "NotPrincipal" : "Principal"} must be "*" or an object such as {"AWS": "${value}"}; wrap the value in {"AWS": ...} (or {"Service": ...})`,
    );
    return { AWS: [value] };
  }
  if (!isObject(value)) {
    issues.error(
      path,
      `Principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}, but it is ${describe(value)}`,
    );
    return undefined;
  }
  const map: PrincipalMap = {};
  for (const [type, entries] of Object.entries(value)) {
    const typePath = memberPath(path, type);
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(type)) {
      issues.error(
        typePath,
        `unknown principal type "${type}"${suggestion(type, PRINCIPAL_TYPES)}; use AWS, Service, Federated or CanonicalUser`,
      );
      continue;
    }
    const check = type === "AWS" ? (entry: string, entryPath: string) => checkAwsPrincipal(entry, entryPath, issues) : undefined;
    const list = readStringList(entries, typePath, `Principal ${type}`, issues, check);
    if (!list) continue;
    map[type as keyof PrincipalMap] = list.map((entry) => entry.value);
  }
  if (Object.keys(value).length === 0)
    issues.error(path, `Principal is empty; write "*" or e.g. {"AWS": "arn:aws:iam::123456789012:root"}`);
  // {"AWS": "*"} is the same as "*": it names every principal.
  if (map.AWS?.includes("*")) return "*";
  return map;
}

function checkAwsPrincipal(entry: string, path: string, issues: IssueList): void {
  if (entry === "*" || ACCOUNT_ID.test(entry) || UNIQUE_ID.test(entry)) return;
  const arn = parseArn(entry);
  if (arn && (arn.service === "iam" || arn.service === "sts")) return;
  issues.error(
    path,
    `AWS principal ${quoted(entry)} is not an account id or IAM ARN; write e.g. "123456789012", "arn:aws:iam::123456789012:root" or "arn:aws:iam::123456789012:role/name"`,
  );
}

function readConditions(value: unknown, path: string, issues: IssueList): Condition[] {
  if (!isObject(value)) {
    issues.error(
      path,
      `Condition must be an object such as {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, but it is ${describe(value)}`,
    );
    return [unreadableCondition("", "", path)];
  }
  const conditions: Condition[] = [];
  for (const [operator, block] of Object.entries(value)) {
    const operatorPath = memberPath(path, operator);
    const parsed = parseConditionOperator(operator);
    if (parsed.problem) issues.error(operatorPath, parsed.problem);
    else if (parsed.canonical !== operator)
      issues.warning(
        operatorPath,
        `condition operator "${operator}" is spelled differently from the documentation; write "${parsed.canonical}"`,
      );
    if (!isObject(block)) {
      issues.error(
        operatorPath,
        `${operator} must map condition keys to values, e.g. {"aws:SourceVpce": "vpce-1a2b3c4d"}, but it is ${describe(block)}`,
      );
      conditions.push(unreadableCondition(operator, "", operatorPath));
      continue;
    }
    if (Object.keys(block).length === 0) {
      issues.error(operatorPath, `${operator} has no condition keys; add a key such as "aws:SourceVpce" or remove the operator`);
      conditions.push(unreadableCondition(operator, "", operatorPath));
    }
    for (const [key, rawValues] of Object.entries(block)) {
      conditions.push(readCondition(operator, parsed, key, rawValues, keyPath(operatorPath, key), issues));
    }
  }
  return conditions;
}

function unreadableCondition(operator: string, key: string, path: string): Condition {
  return { operator, baseOperator: undefined, setOperator: undefined, ifExists: false, key, values: [], path, valid: false };
}

function readCondition(
  operator: string,
  parsed: ReturnType<typeof parseConditionOperator>,
  key: string,
  rawValues: unknown,
  path: string,
  issues: IssueList,
): Condition {
  let valid = parsed.problem === undefined;
  if (key.trim() === "") {
    issues.error(path, `condition key is empty; write a key such as "aws:SourceVpce"`);
    valid = false;
  }
  const values: string[] = [];
  const list = Array.isArray(rawValues) ? rawValues : [rawValues];
  if (list.length === 0) {
    issues.error(path, `condition ${operator} "${key}" has no values; list at least one value`);
    valid = false;
  }
  list.forEach((raw, index) => {
    const valuePath = Array.isArray(rawValues) ? `${path}[${index}]` : path;
    if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
      issues.error(valuePath, `condition values must be strings, numbers or booleans, but this one is ${describe(raw)}`);
      valid = false;
      return;
    }
    chargeWork(ELEMENT_COST, "reading condition values");
    const text = String(raw);
    values.push(text);
    const problem =
      patternProblem(text, "condition value") ?? (parsed.baseOperator ? conditionValueProblem(parsed.baseOperator, text) : undefined);
    if (problem) {
      issues.error(valuePath, `${operator} "${key}": ${problem}`);
      valid = false;
    }
  });
  return {
    operator,
    baseOperator: parsed.baseOperator,
    setOperator: parsed.setOperator,
    ifExists: parsed.ifExists,
    key,
    values,
    // Built piece by piece and the same in thousands of policies: kept once (see intern()).
    path: intern(path),
    valid,
  };
}
