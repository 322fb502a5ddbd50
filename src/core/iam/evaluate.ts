/**
 * Request evaluation for resource-based (bucket) and VPC endpoint policies, as IAM does it:
 * any matching Deny → ExplicitDeny; else any matching Allow → Allow; else ImplicitDeny.
 *
 * A statement matches when its Action matches (or NotAction does not), its Resource matches
 * (or NotResource does not), its Principal matches (or NotPrincipal does not; see
 * principal.ts for the "some principal" reading when the request names none) and every
 * condition holds (AND across operators and keys, OR across one key's values).
 * A statement with neither Action nor NotAction (or neither Resource nor NotResource) is
 * malformed and matches nothing.
 *
 * Fail closed: a condition marked `valid: false` never lets an Allow statement match and
 * always holds for a Deny statement.
 *
 * Statements are compiled once (patterns → RegExps, condition values → predicates) and
 * cached per Statement object, so evaluating the same parsed policy again costs no parsing.
 */

import { actionMatcher } from "./actions.js";
import { arnMatcher } from "./arn.js";
import { compileCondition, type ConditionTest } from "./conditions.js";
import { statementPrincipalMatches } from "./principal.js";
import type { AccessRequest, Evaluation, PolicyDocument, Statement } from "./types.js";
import { equalsLowerCase } from "../util/text.js";
import { chargeWork } from "./work-budget.js";

type RequestContext = AccessRequest["context"];

export interface CompiledCondition {
  /** The condition key, lower-cased. */
  key: string;
  test: ConditionTest;
}

export interface CompiledStatement {
  statement: Statement;
  matchesAction: (action: string) => boolean;
  matchesResource: (resource: string) => boolean;
  conditions: CompiledCondition[];
}

/**
 * Compiled statements, most recent last. Bounded rather than weak: a WeakMap entry lives as
 * long as its statement, so a check of 50k objects kept a compiled copy of every statement it
 * ever evaluated (tens of MB) although each is needed only during the reviews that read it.
 * A review reads a handful of policies (the subject's and those of the objects it relates
 * to), far fewer than this.
 */
const MAX_COMPILED_STATEMENTS = 4096;
const compiledStatements = new Map<Statement, CompiledStatement>();

/**
 * The request's values for a condition key, keys compared case-insensitively (values of
 * keys that differ only in case are merged). A scan instead of a lower-cased copy of the
 * context: contexts hold a handful of keys, and this runs on the webhook's hot path.
 */
export function contextValues(context: RequestContext, lowerKey: string): readonly string[] | undefined {
  if (!context) return undefined;
  let found: readonly string[] | undefined;
  // for…in rather than Object.keys, and a comparison rather than toLowerCase: this runs for
  // every condition of every statement evaluated, and allocated an array and a string each time.
  for (const key in context) {
    if (!Object.hasOwn(context, key) || key.length !== lowerKey.length || !equalsLowerCase(key, lowerKey)) continue;
    const value = context[key];
    if (value === undefined) continue;
    const values = typeof value === "string" ? [value] : value;
    found = found === undefined ? values : [...found, ...values];
  }
  return found;
}

type Matcher = (value: string) => boolean;

/** Element (e.g. Action) and its negation (NotAction) as one matcher; neither → matches nothing. */
function listMatcher(
  patterns: readonly string[] | undefined,
  negated: readonly string[] | undefined,
  compile: (pattern: string) => Matcher,
): Matcher {
  if (patterns === undefined && negated === undefined) return () => false;
  const positive = patterns?.map(compile);
  const negative = negated?.map(compile);
  return (value) => (positive === undefined || anyMatches(positive, value)) && (negative === undefined || !anyMatches(negative, value));
}

/** A loop, not `some` with a closure: this runs for every statement of every request evaluated. */
function anyMatches(matchers: readonly Matcher[], value: string): boolean {
  for (const matches of matchers) if (matches(value)) return true;
  return false;
}

/** A statement's matchers, compiled once per Statement object (also used by symbolic.ts). */
export function compileStatement(statement: Statement): CompiledStatement {
  const cached = compiledStatements.get(statement);
  if (cached) return cached;
  const failClosed = statement.effect === "Deny";
  const conditions = statement.conditions.map((condition) => ({
    key: condition.key.toLowerCase(),
    test: condition.valid ? compileCondition(condition) : () => failClosed,
  }));
  const compiled: CompiledStatement = {
    statement,
    matchesAction: listMatcher(statement.action, statement.notAction, actionMatcher),
    matchesResource: listMatcher(statement.resource, statement.notResource, arnMatcher),
    conditions,
  };
  if (compiledStatements.size >= MAX_COMPILED_STATEMENTS) compiledStatements.delete(compiledStatements.keys().next().value!);
  compiledStatements.set(statement, compiled);
  return compiled;
}

function statementApplies(compiled: CompiledStatement, request: AccessRequest): boolean {
  chargeWork(1 + compiled.conditions.length, "evaluating policy statements");
  return (
    compiled.matchesAction(request.action) &&
    compiled.matchesResource(request.resource) &&
    statementPrincipalMatches(compiled.statement, request.principal) &&
    conditionsHold(compiled, request.context)
  );
}

/** A loop, not `every` with a closure: one closure per statement evaluated added up. */
function conditionsHold(compiled: CompiledStatement, context: RequestContext): boolean {
  for (const condition of compiled.conditions) if (!condition.test(contextValues(context, condition.key))) return false;
  return true;
}

/** Does one statement apply to the request? (For rules that reason statement by statement.) */
export function statementMatches(statement: Statement, request: AccessRequest): boolean {
  return statementApplies(compileStatement(statement), request);
}

export function evaluatePolicy(request: AccessRequest, policy: PolicyDocument): Evaluation {
  return evaluatePolicies(request, [policy]);
}

/** Evaluates several policies together: any explicit Deny wins, then any Allow, else implicit deny. */
export function evaluatePolicies(request: AccessRequest, policies: readonly PolicyDocument[]): Evaluation {
  const matched: Evaluation["matched"] = [];
  let allowed = false;
  let denied = false;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (!statementApplies(compileStatement(statement), request)) continue;
      matched.push({ index: statement.index, effect: statement.effect, path: statement.path });
      if (statement.effect === "Deny") denied = true;
      else allowed = true;
    }
  }
  const decision = denied ? "ExplicitDeny" : allowed ? "Allow" : "ImplicitDeny";
  return { decision, matched };
}
