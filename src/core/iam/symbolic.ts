/**
 * Symbolic (partial) evaluation: questions about a whole *set* of requests, answered
 * always / never / sometimes with concrete witness requests, as IAM's semantics give them.
 *
 * A question fixes what the request path fixes (the actions and resources probed, the
 * endpoint id, the VPC, a private source address) and leaves everything else free: the
 * principal, and every condition key the policies read may be absent or take any value.
 * Each free dimension is cut into finitely many classes (partition.ts) that no condition
 * of the policies can tell apart, and the product of the classes is searched depth first.
 * A branch stops as soon as every policy layer's decision is known from the dimensions
 * fixed so far (three-valued statement matching), which keeps real questions small.
 *
 * Every witness is re-evaluated with the concrete evaluator (evaluate.ts) before it is
 * returned; the concrete evaluator is the reference, this module only chooses requests.
 * Every question has a work budget (search nodes): over it, or when a partition could not
 * be completed, "always" and "never" are not claimed ("undecided"), while witnesses found
 * so far still prove "sometimes".
 */

import { actionMatcher, s3ResourceLevel } from "./actions.js";
import { accountOfEntry, statementPrincipalMatches } from "./principal.js";
import { arnMatcher, parseArn } from "./arn.js";
import { compileStatement, evaluatePolicies, type CompiledStatement } from "./evaluate.js";
import { addressValues, dateValues, numericValues, stringPartition, type StringPattern } from "./partition.js";
import { remember } from "./wildcard.js";
import type { AccessRequest, Condition, Decision, Evaluation, PolicyDocument, Principal, RequestPrincipal, Statement } from "./types.js";
import { keptPerObject } from "../util/kept-per-object.js";

/** What a free condition key may be. */
export type KeyDomain =
  /** Exactly these values (a single-valued key: one of them; the request path fixes it). */
  | { kind: "fixed"; value: string }
  /** Present, any value except the listed ones. */
  | { kind: "present"; except?: readonly string[] }
  /** Absent, or any value except the listed ones. */
  | { kind: "free"; except?: readonly string[] }
  /** Present, an address inside these blocks (e.g. aws:SourceIp through an endpoint). */
  | { kind: "address"; cidrs: readonly string[] };

export interface RequestSpace {
  /** Concrete actions, e.g. ["s3:GetObject"]. */
  actions: readonly string[];
  /**
   * Resources: concrete ARNs, or `arn:…:s3:::bucket/*`-style *families* written as
   * `{ prefix, free: true }`: every resource that starts with the prefix (e.g. every object key).
   * An action is paired only with resources of its level (object / bucket) when known.
   */
  resources: readonly ResourceSpec[];
  /** Keys the question constrains (case-insensitive names). Keys not listed are free. */
  keys?: Readonly<Record<string, KeyDomain>>;
  /** A fixed principal; omitted = any principal (anonymous, any account, any service). */
  principal?: RequestPrincipal;
  /** Only principals of these kinds (e.g. ["AWS"]: callers with AWS credentials). */
  principalKinds?: readonly RequestPrincipal["type"][];
  /** Narrows the space to these action/resource pairs (e.g. those one statement covers). */
  within?: (action: string, resource: string) => boolean;
}

export type ResourceSpec = string | { prefix: string; free: true; level: "object" | "bucket" };

/** A policy layer: its policies are evaluated together (any Deny wins, then any Allow). */
export type Layer = readonly PolicyDocument[];

export interface Witness<L extends string> {
  label: L;
  request: AccessRequest;
  /** One evaluation per layer, with the statements that decided it. */
  evaluations: Evaluation[];
}

export interface Question<L extends string> {
  layers: readonly Layer[];
  space: RequestSpace;
  /** Names the outcome of one request from its decision in each layer. */
  classify: (decisions: readonly Decision[], action: string) => L;
  /**
   * The label depends on the action (classify reads its second argument): every action of
   * the space is searched instead of one per class of actions the policies cannot tell apart.
   */
  byAction?: boolean;
  /** Stop once this label and any other have both been found (the answer is then "sometimes"). */
  focus?: L;
  /**
   * Stop as soon as the labels found so far answer the caller's question (e.g. "is it never
   * allowed?" is settled by one allowed request). The answer is then `settled`, not exhaustive.
   */
  enough?: (found: ReadonlySet<L>) => boolean;
  /** Search nodes allowed (default DEFAULT_BUDGET). */
  budget?: number;
  /**
   * The labels depend only on whether each layer denies explicitly ("is it denied?"). Allow
   * statements cannot change that, so the space is cut by the Deny statements alone (a policy
   * of many grants and one guard Deny is a handful of classes, not the grants' product), and
   * classify sees every decision other than ExplicitDeny as ImplicitDeny. Witnesses are still
   * evaluated against the whole layers.
   */
  denyOnly?: boolean;
}

export type Verdict = "always" | "never" | "sometimes" | "undecided";

export interface Answer<L extends string> {
  /** One witness per label found. */
  witnesses: Map<L, Witness<L>>;
  /** The whole space was covered (within budget, every partition complete). */
  exhaustive: boolean;
  /** The space holds no request at all (nothing to claim, but nothing left undecided either). */
  empty: boolean;
  /** The search stopped early because `enough` said the labels found answer the question. */
  settled: boolean;
  steps: number;
}

/**
 * Search nodes per question. Real policies need tens to a few hundred; a question over budget
 * costs at most this many nodes (bench/symbolic-budget.mjs measures the time) and is undecided.
 */
export const DEFAULT_BUDGET = 5_000;

/** always / never / sometimes for one label; undecided when the search could not be finished. */
export function verdictOf<L extends string>(answer: Answer<L>, label: L): Verdict {
  const found = answer.witnesses.has(label);
  const others = [...answer.witnesses.keys()].some((other) => other !== label);
  if (found && others) return "sometimes";
  if (!answer.exhaustive) return "undecided";
  if (found) return "always";
  return "never";
}

// ---------------------------------------------------------------------------------------
// Dimensions

type Values = readonly string[] | undefined;

interface KeyDimension {
  /** Lower-case key. */
  key: string;
  /** As written first, for witnesses. */
  name: string;
  candidates: Values[];
}

const FRESH_ACCOUNT = "999999999999";
const STRANGER: RequestPrincipal = { type: "AWS", id: `arn:aws:iam::${FRESH_ACCOUNT}:role/s3vg-stranger` };

function lowerKeys(keys: Readonly<Record<string, KeyDomain>> | undefined): Map<string, { name: string; domain: KeyDomain }> {
  const out = new Map<string, { name: string; domain: KeyDomain }>();
  for (const [name, domain] of Object.entries(keys ?? {})) out.set(name.toLowerCase(), { name, domain });
  return out;
}

function allStatements(layers: readonly Layer[]): Statement[] {
  // Plain loops: this runs once per question, and most questions are settled by a seed request.
  const out: Statement[] = [];
  for (const layer of layers) for (const policy of layer) for (const statement of policy.statements) out.push(statement);
  return out;
}

const STRING_LIKE = new Set(["StringLike", "StringNotLike"]);
const STRING_EQUAL = new Set(["StringEquals", "StringNotEquals", "BinaryEquals"]);
const STRING_FOLD = new Set(["StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"]);
const ARN_OPERATORS = new Set(["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"]);
const NUMERIC = /^Numeric/;
const DATE = /^Date/;

/** The classes of one key's values, from every condition on it. */
function keyCandidates(conditions: readonly Condition[], domain: KeyDomain | undefined): { candidates: Values[]; complete: boolean } {
  if (domain?.kind === "fixed") return { candidates: [[domain.value]], complete: true };
  let complete = true;
  const patterns: StringPattern[] = [];
  const numbers: string[] = [];
  const dates: string[] = [];
  const cidrs: string[] = [];
  let bools = false;
  const family = new Set<string>();
  let multiValued = false;
  for (const condition of conditions) {
    const operator = condition.baseOperator;
    if (!operator || !condition.valid) continue;
    if (condition.setOperator) multiValued = true;
    if (STRING_LIKE.has(operator)) {
      family.add("string");
      for (const value of condition.values) patterns.push({ pattern: value, wildcards: true, caseInsensitive: false });
    } else if (STRING_EQUAL.has(operator)) {
      family.add("string");
      for (const value of condition.values) patterns.push({ pattern: value, wildcards: false, caseInsensitive: false });
    } else if (STRING_FOLD.has(operator)) {
      family.add("string");
      for (const value of condition.values) patterns.push({ pattern: value, wildcards: false, caseInsensitive: true });
    } else if (ARN_OPERATORS.has(operator)) {
      family.add("string");
      for (const value of condition.values) {
        // Wildcards before the resource segment stay inside their segment (arn.ts): a
        // plain glob over the whole ARN can miss a class, so such a key is not exact.
        const head = value.split(":").slice(0, 5).join(":");
        if (/[*?]/.test(head)) complete = false;
        patterns.push({ pattern: value, wildcards: true, caseInsensitive: false });
      }
    } else if (NUMERIC.test(operator)) {
      family.add("number");
      numbers.push(...condition.values);
    } else if (DATE.test(operator)) {
      family.add("date");
      dates.push(...condition.values);
    } else if (operator === "IpAddress" || operator === "NotIpAddress") {
      family.add("ip");
      cidrs.push(...condition.values);
    } else if (operator === "Bool") {
      family.add("bool");
      bools = true;
    }
  }
  // A key read with operators of two families (e.g. as a string and as a number) is rare;
  // the union of both partitions is searched but not claimed exhaustive.
  if (family.size > 1) complete = false;
  let values: string[];
  if (domain?.kind === "address") {
    values = addressValues(cidrs, domain.cidrs);
  } else if (family.has("ip")) {
    values = addressValues(cidrs, undefined);
  } else {
    values = [];
  }
  const except = domain && (domain.kind === "present" || domain.kind === "free") ? (domain.except ?? []) : [];
  if (patterns.length > 0 || values.length === 0) {
    for (const value of except) patterns.push({ pattern: value, wildcards: false, caseInsensitive: false });
    const partition = stringPartition(patterns);
    if (!partition.complete) complete = false;
    if (domain?.kind !== "address") values.push(...partition.values);
  }
  if (numbers.length > 0) values.push(...numericValues(numbers));
  if (dates.length > 0) values.push(...dateValues(dates));
  if (bools) values.push("true", "false");
  const exceptSet = new Set(except);
  values = [...new Set(values)].filter((value) => !exceptSet.has(value));
  const present: Values[] = multiValued ? setsOf(values, (exhaustive) => (complete &&= exhaustive)) : values.map((value) => [value]);
  const absentAllowed = domain === undefined || domain.kind === "free";
  return { candidates: absentAllowed ? [undefined, ...present] : present, complete };
}

/**
 * Multi-valued keys (ForAnyValue / ForAllValues): every subset of up to five classes is
 * exact; with more classes, singletons, pairs and the full set are searched (not exhaustive).
 */
function setsOf(values: string[], report: (exhaustive: boolean) => void): Values[] {
  if (values.length <= 5) {
    report(true);
    const out: Values[] = [];
    for (let mask = 1; mask < 1 << values.length; mask += 1) out.push(values.filter((_, index) => (mask & (1 << index)) !== 0));
    return out;
  }
  report(false);
  const out: Values[] = values.map((value) => [value]);
  for (let i = 0; i < values.length; i += 1) for (let j = i + 1; j < values.length; j += 1) out.push([values[i]!, values[j]!]);
  out.push(values);
  return out;
}

function principalEntries(principal: Principal | undefined): { aws: string[]; service: string[] } {
  if (principal === undefined || principal === "*") return { aws: [], service: [] };
  return { aws: principal.AWS ?? [], service: principal.Service ?? [] };
}

/** Anonymous, one principal per class of "which Principal entries match", and strangers. */
function principalCandidates(statements: readonly Statement[]): RequestPrincipal[] {
  const out = new Map<string, RequestPrincipal>();
  const add = (principal: RequestPrincipal) =>
    out.set(principal.type === "Anonymous" ? "-" : `${principal.type}:${principal.id}`, principal);
  add(STRANGER);
  add({ type: "Anonymous" });
  add({ type: "Service", id: "s3vg-stranger.amazonaws.com" });
  for (const statement of statements) {
    for (const element of [statement.principal, statement.notPrincipal]) {
      const { aws, service } = principalEntries(element);
      for (const entry of aws) {
        if (entry === "*") continue;
        const account = accountOfEntry(entry);
        if (account !== undefined) add({ type: "AWS", id: `arn:aws:iam::${account}:role/s3vg-probe` });
        else add({ type: "AWS", id: entry });
      }
      for (const entry of service) if (entry !== "*") add({ type: "Service", id: entry });
    }
  }
  return [...out.values()];
}

/** Action classes: one action per class of "which Action / NotAction patterns match it". */
function actionCandidates(actions: readonly string[], statements: readonly Statement[]): string[] {
  const patterns = statements.flatMap((s) => [...(s.action ?? []), ...(s.notAction ?? [])]);
  // The same action lists are asked about with the same few patterns on every review: cached, bounded.
  let byPatterns = actionClassCache.get(actions);
  if (!byPatterns) actionClassCache.set(actions, (byPatterns = new Map()));
  const key = patterns.join("\u0000");
  const cached = byPatterns.get(key);
  if (cached) return cached;
  const classes = computeActionCandidates(actions, patterns);
  remember(byPatterns, key, classes);
  return classes;
}

const actionClassCache = new WeakMap<readonly string[], Map<string, string[]>>();

function computeActionCandidates(actions: readonly string[], patterns: readonly string[]): string[] {
  const matchers = patterns.map(actionMatcher);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const action of actions) {
    const signature = matchers.map((matches) => (matches(action) ? 1 : 0)).join("") + (s3ResourceLevel(action) ?? "-");
    if (seen.has(signature)) continue;
    seen.add(signature);
    out.push(action);
  }
  return out;
}

/** The part of an ARN after its fifth colon. */
function resourceSegment(arn: string): string | undefined {
  let index = -1;
  for (let colon = 0; colon < 5; colon += 1) {
    index = arn.indexOf(":", index + 1);
    if (index < 0) return undefined;
  }
  return arn.slice(index + 1);
}

/** Concrete resources for a family: one per class of the policies' Resource patterns. */
function resourceCandidates(spec: ResourceSpec, statements: readonly Statement[]): { values: string[]; complete: boolean } {
  if (typeof spec === "string") return { values: [spec], complete: true };
  const head = spec.prefix.slice(0, spec.prefix.length - (resourceSegment(spec.prefix) ?? "").length);
  const prefixSegment = resourceSegment(spec.prefix) ?? "";
  // Object ARNs have a key after the bucket name; bucket ARNs have none.
  const objectDomain = spec.level === "object" && !prefixSegment.includes("/");
  const domain: StringPattern = {
    pattern: `${escapeGlob(prefixSegment)}*${objectDomain ? "/*" : ""}`,
    wildcards: true,
    caseInsensitive: false,
  };
  const patterns: StringPattern[] = [domain];
  let complete = true;
  for (const statement of statements) {
    for (const pattern of [...(statement.resource ?? []), ...(statement.notResource ?? [])]) {
      const segment = resourceSegment(pattern);
      if (segment === undefined) {
        if (pattern === "*") continue;
        complete = false;
        continue;
      }
      // Head segments are compared against the family's fixed head; only the resource segment varies.
      if (arnMatcher(pattern.slice(0, pattern.length - segment.length) + "*")(head + "x"))
        patterns.push({ pattern: segment, wildcards: true, caseInsensitive: false });
    }
  }
  const partition = stringPartition(patterns);
  const domainMatches = (value: string) =>
    value.startsWith(prefixSegment) &&
    (spec.level === "bucket" ? !value.includes("/") : !objectDomain || value.slice(prefixSegment.length).includes("/"));
  const values = partition.values.filter(domainMatches);
  const readable = prefixSegment.includes("/")
    ? `${prefixSegment}s3vg-object`
    : spec.level === "object"
      ? `${prefixSegment}s3vg-bucket/s3vg-object`
      : `${prefixSegment}s3vg-bucket`;
  return { values: [...new Set([readable, ...values])].map((segment) => head + segment), complete: complete && partition.complete };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?$]/g, (char) => "${" + char + "}");
}

// ---------------------------------------------------------------------------------------
// Three-valued matching

type Tri = true | false | undefined;

interface Assignment {
  action: string;
  resource: string;
  principal: RequestPrincipal;
  /** Lower-case key → values (undefined = absent); a key not in the map is not assigned yet. */
  keys: Map<string, Values>;
}

/** Conditions only: the statements passed in already match the action, resource and principal. */
function statementTri(compiled: CompiledStatement, assignment: Assignment, pending: string[]): Tri {
  let unknown = false;
  for (const condition of compiled.conditions) {
    if (!assignment.keys.has(condition.key)) {
      unknown = true;
      pending.push(condition.key);
      continue;
    }
    if (!condition.test(assignment.keys.get(condition.key))) return false;
  }
  return unknown ? undefined : true;
}

function layerTri(layer: readonly CompiledStatement[], assignment: Assignment, pending: Set<string>): Decision | undefined {
  let allowKnown = false;
  let denyUnknown = false;
  let allowUnknown = false;
  // Keys of undecided statements are collected only for an undecided layer (scratch, no Set per node).
  const mark = scratch.length;
  const local = scratch;
  for (const compiled of layer) {
    const tri = statementTri(compiled, assignment, local);
    if (compiled.statement.effect === "Deny") {
      if (tri === true) {
        local.length = mark;
        return "ExplicitDeny";
      }
      if (tri === undefined) denyUnknown = true;
    } else if (tri === true) allowKnown = true;
    else if (tri === undefined) allowUnknown = true;
  }
  const keys = local.slice(mark);
  local.length = mark;
  if (!denyUnknown) {
    if (allowKnown) return "Allow";
    if (!allowUnknown) return "ImplicitDeny";
  }
  for (const key of keys) pending.add(key);
  return undefined;
}

const scratch: string[] = [];

// ---------------------------------------------------------------------------------------
// Search

export function ask<L extends string>(question: Question<L>): Answer<L> {
  const budget = question.budget ?? DEFAULT_BUDGET;
  const searched = question.denyOnly ? question.layers.map(denyPoliciesOf) : question.layers;
  const classify = question.denyOnly ? denyOnlyClassify(question.classify) : question.classify;
  const statements = allStatements(searched);
  const constrained = lowerKeys(question.space.keys);
  let exhaustive = true;
  const witnesses = new Map<L, Witness<L>>();
  const labels = new Set<L>();
  const found = () => labels;
  const enough =
    question.enough ?? ((labels: ReadonlySet<L>) => question.focus !== undefined && labels.has(question.focus) && labels.size > 1);
  const remember = (request: AccessRequest) => {
    const evaluations = question.layers.map((layer) => evaluatePolicies(request, layer));
    const label = classify(
      evaluations.map((evaluation) => evaluation.decision),
      request.action,
    );
    if (!witnesses.has(label)) {
      witnesses.set(label, { label, request, evaluations });
      labels.add(label);
    }
    return label;
  };

  // The concrete evaluator first: a few plain requests of the space often settle the question
  // (one allowed request is enough to refute "never allowed") before any partition is built.
  for (const request of seedRequests(question.space, statements, constrained)) {
    remember(request);
    if (enough(found())) return { witnesses, exhaustive: false, empty: false, settled: true, steps: 0 };
  }

  const compiledLayers = searched.map((layer) =>
    layer.flatMap((policy) => policy.statements.map((statement) => compileStatement(statement))),
  );
  const conditionsByKey = new Map<string, Condition[]>();
  const names = new Map<string, string>();
  for (const statement of statements) {
    for (const condition of statement.conditions) {
      const key = condition.key.toLowerCase();
      if (!conditionsByKey.has(key)) conditionsByKey.set(key, []);
      conditionsByKey.get(key)!.push(condition);
      if (!names.has(key)) names.set(key, condition.key);
    }
  }
  const dimensions = new Map<string, KeyDimension>();
  for (const [key, conditions] of conditionsByKey) {
    const constraint = constrained.get(key);
    const { candidates, complete } = keyCandidates(conditions, constraint?.domain);
    if (!complete) exhaustive = false;
    dimensions.set(key, { key, name: constraint?.name ?? names.get(key)!, candidates });
  }
  // Constrained keys no condition reads still appear in witnesses (e.g. the endpoint id).
  const extraContext: Record<string, string> = {};
  for (const [key, { name, domain }] of constrained) {
    if (dimensions.has(key)) continue;
    if (domain.kind === "fixed") extraContext[name] = domain.value;
    else if (domain.kind === "address") extraContext[name] = addressValues([], domain.cidrs)[0] ?? "10.0.0.1";
    else if (domain.kind === "present") extraContext[name] = "s3vg-other";
  }

  const pairs: { action: string; resource: string }[] = [];
  for (const action of question.byAction ? question.space.actions : actionCandidates(question.space.actions, statements)) {
    const level = s3ResourceLevel(action);
    for (const spec of question.space.resources) {
      const specLevel = typeof spec === "string" ? levelOfArn(spec) : spec.level;
      if (level !== undefined && specLevel !== level) continue;
      const { values, complete } = resourceCandidates(spec, statements);
      if (!complete) exhaustive = false;
      for (const resource of values)
        if (!question.space.within || question.space.within(action, resource)) pairs.push({ action, resource });
    }
  }
  // An empty space (e.g. a statement on access points asked about bucket ARNs) supports no claim.
  if (pairs.length === 0) exhaustive = false;
  const kinds = question.space.principalKinds;
  const principals = question.space.principal
    ? [question.space.principal]
    : principalCandidates(statements).filter((p) => !kinds || kinds.includes(p.type));

  let steps = 0;
  let stopped = false;
  let settled = false;
  const done = () => {
    if (enough(found())) settled = true;
    return settled;
  };
  const record = (assignment: Assignment) => remember(toRequest(assignment, dimensions, extraContext));

  const search = (assignment: Assignment): void => {
    if (stopped) return;
    steps += 1;
    if (steps > budget) {
      stopped = true;
      exhaustive = false;
      return;
    }
    const pending = new Set<string>();
    const decisions = applicable.map((layer) => layerTri(layer, assignment, pending));
    if (decisions.every((decision) => decision !== undefined)) {
      const expected = classify(decisions as Decision[], assignment.action);
      // A label already witnessed needs no second request; a new one is built and checked.
      if (witnesses.has(expected)) return;
      const label = record(assignment);
      // The concrete evaluator is the reference: a disagreement means this search is wrong here.
      if (label !== expected) exhaustive = false;
      if (done()) stopped = true;
      return;
    }
    const next = [...pending].find((key) => !assignment.keys.has(key));
    const dimension = next === undefined ? undefined : dimensions.get(next);
    if (!dimension) {
      exhaustive = false;
      return;
    }
    // One assignment, extended and undone in place (no copy per node).
    for (const candidate of dimension.candidates) {
      assignment.keys.set(dimension.key, candidate);
      search(assignment);
      assignment.keys.delete(dimension.key);
      if (stopped) return;
    }
  };

  // Action, resource and principal are fixed at each root: the statements they rule out are
  // dropped once there, so each search node only tests conditions.
  let applicable: CompiledStatement[][] = [];
  outer: for (const { action, resource } of pairs) {
    const forTarget = compiledLayers.map((layer) => layer.filter((c) => c.matchesAction(action) && c.matchesResource(resource)));
    for (const principal of principals) {
      applicable = forTarget.map((layer) => layer.filter((c) => statementPrincipalMatches(c.statement, principal)));
      search({ action, resource, principal, keys: new Map() });
      if (stopped) break outer;
    }
  }
  return { witnesses, exhaustive: exhaustive && !settled, empty: pairs.length === 0 || principals.length === 0, settled, steps };
}

/** A layer's policies with their Deny statements only (a new object only where something is dropped). */
function denyPoliciesOf(layer: Layer): Layer {
  return layer.map((policy) =>
    policy.statements.every((statement) => statement.effect === "Deny")
      ? policy
      : { ...policy, statements: policy.statements.filter((statement) => statement.effect === "Deny") },
  );
}

function denyOnlyClassify<L extends string>(classify: Question<L>["classify"]): Question<L>["classify"] {
  return (decisions, action) =>
    classify(
      decisions.map((decision) => (decision === "ExplicitDeny" ? decision : "ImplicitDeny")),
      action,
    );
}

const SEED_LIMIT = 3;

/**
 * A handful of plain requests of the space: common actions, the family's readable resource and
 * the statements' own resources (wildcards filled in), a stranger and a named principal, every
 * constrained key at its first value and every other key absent.
 */
function* seedRequests(
  space: RequestSpace,
  statements: readonly Statement[],
  constrained: Map<string, { name: string; domain: KeyDomain }>,
): Generator<AccessRequest> {
  const context: Record<string, string> = {};
  for (const { name, domain } of constrained.values()) {
    if (domain.kind === "fixed") context[name] = domain.value;
    else if (domain.kind === "present") context[name] = "s3vg-other";
    else if (domain.kind === "address") {
      const address = addressValues([], domain.cidrs)[0];
      if (address) context[name] = address;
    }
  }
  // First the one plain request: the first action, its resource, a stranger. It settles most questions.
  const readableOf = (spec: ResourceSpec & object) => {
    const segment = resourceSegment(spec.prefix) ?? "";
    return segment.includes("/")
      ? `${spec.prefix}s3vg-object`
      : spec.level === "object"
        ? `${spec.prefix}s3vg-bucket/s3vg-object`
        : `${spec.prefix}s3vg-bucket`;
  };
  const strangerAllowed = !space.principal && (!space.principalKinds || space.principalKinds.includes("AWS"));
  // (One per action for the first few actions: a question about several actions needs each.)
  for (const first of space.actions.slice(0, SEED_LIMIT)) {
    if (!strangerAllowed && !space.principal) break;
    const level = s3ResourceLevel(first);
    for (const spec of space.resources) {
      const resource = typeof spec === "string" ? spec : readableOf(spec);
      const resourceLevel = typeof spec === "string" ? levelOfArn(spec) : spec.level;
      if ((level !== undefined && level !== resourceLevel) || (space.within && !space.within(first, resource))) continue;
      yield { action: first, resource, principal: space.principal ?? STRANGER, context };
      break;
    }
  }
  const actionSet = actionSetOf(space.actions);
  const named: string[] = [];
  for (const statement of statements) for (const action of statement.action ?? []) if (actionSet.has(action)) named.push(action);
  const actions = [...new Set([...space.actions.slice(0, SEED_LIMIT), ...named.slice(0, SEED_LIMIT)])];
  // The statements' own resources first: they are where the policy's decisions differ.
  const instances = statements
    .flatMap((s) => s.resource ?? [])
    .slice(0, 4 * SEED_LIMIT)
    .map(instanceOf);
  const resources = space.resources.flatMap((spec) => {
    if (typeof spec === "string") return [{ resource: spec, level: levelOfArn(spec) }];
    const inFamily = instances.filter((arn) => specHolds(spec, arn)).slice(0, SEED_LIMIT);
    return [...inFamily, readableOf(spec)].map((resource) => ({ resource, level: spec.level }));
  });
  const kinds = space.principalKinds;
  // A stranger and the first principal the policy names (an Allow for one role is met by that role).
  const principals = space.principal
    ? [space.principal]
    : principalCandidates(statements)
        .filter((p, index) => index === 0 || index > 2)
        .filter((p) => !kinds || kinds.includes(p.type))
        .slice(0, 2);
  // And a context that meets the policy's positive literals (an Allow for one endpoint is met through it).
  const contexts = [context, literalContext(statements, constrained, context)];
  // Per action its candidate requests, taken in turns so that every action is tried early.
  const perAction = actions.map((action) => {
    const level = s3ResourceLevel(action);
    const requests: AccessRequest[] = [];
    for (const { resource, level: resourceLevel } of resources) {
      if (level !== undefined && level !== resourceLevel) continue;
      if (space.within && !space.within(action, resource)) continue;
      for (const requestContext of contexts)
        for (const principal of principals) requests.push({ action, resource, principal, context: requestContext });
    }
    return requests;
  });
  let count = 0;
  rounds: for (let round = 0; perAction.some((requests) => round < requests.length); round += 1) {
    for (const requests of perAction) {
      const request = requests[round];
      if (!request) continue;
      if (count++ >= SEED_MAX) break rounds;
      yield request;
    }
  }
  yield* grantSeeds(space, statements, literalContext(statements, constrained, contexts[1]!, "guarded"));
}

const GRANT_SEED_MAX = 32;

/**
 * One request per Allow statement that names its principals (up to GRANT_SEED_MAX): that
 * principal, the statement's own resource in the space, each action of the space it grants.
 * A policy of one grant per team is met by a team's own request, which the plain seeds above
 * (a stranger and the first principal named, the first resources) find only for the first team;
 * without it, "is this allowed through both policies?" searched principals × prefixes.
 */
function* grantSeeds(space: RequestSpace, statements: readonly Statement[], context: Record<string, string>): Generator<AccessRequest> {
  if (space.principal) return;
  let count = 0;
  for (const statement of statements) {
    if (statement.effect !== "Allow" || !statement.resource || !statement.action) continue;
    const resources = statement.resource.map(instanceOf).filter((resource) => space.resources.some((spec) => specHolds(spec, resource)));
    if (resources.length === 0) continue;
    const principal = principalCandidates([statement]).find(
      (p, index) => index > 2 && (!space.principalKinds || space.principalKinds.includes(p.type)),
    );
    if (!principal) continue;
    const actions = actionMatchers(statement.action);
    for (const resource of resources) {
      const level = levelOfArn(resource);
      for (const action of space.actions) {
        const actionLevel = s3ResourceLevel(action);
        if ((actionLevel !== undefined && actionLevel !== level) || !actions.some((matches) => matches(action))) continue;
        if (space.within && !space.within(action, resource)) continue;
        if (count++ >= GRANT_SEED_MAX) return;
        yield { action, resource, principal, context };
      }
    }
  }
}

/** The resource is in the spec: the ARN itself, or a member of the family at its level. */
function specHolds(spec: ResourceSpec, arn: string): boolean {
  return typeof spec === "string" ? spec === arn : arn.startsWith(spec.prefix) && levelOfArn(arn) === spec.level;
}

const actionMatchers = keptPerObject((patterns: readonly string[]) => patterns.map(actionMatcher));

/** The same action lists (every S3 action, the probe actions) are asked about again and again: one Set per list. */
const actionSetOf = keptPerObject((actions: readonly string[]): ReadonlySet<string> => new Set(actions));

/** A resource pattern with its wildcards filled in. */
function instanceOf(pattern: string): string {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern;
  return pattern.replace(/\*/g, "s3vg").replace(/\?/g, "x");
}

const POSITIVE_STRING = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool"]);
const NEGATED_STRING = new Set(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"]);

/**
 * The base context with each free key set to the first value a condition names for it:
 * "granted", the positive conditions (an Allow for one endpoint is met through it); "guarded",
 * also each key still unset that a Deny reads with a negated operator, e.g. aws:PrincipalOrgID
 * to the organisation a guard requires (a grant's own request then meets the guards as a member would).
 */
function literalContext(
  statements: readonly Statement[],
  constrained: Map<string, { name: string; domain: KeyDomain }>,
  base: Record<string, string>,
  literals: "granted" | "guarded" = "granted",
): Record<string, string> {
  const out = { ...base };
  const guarded = literals === "guarded";
  const operators = guarded ? NEGATED_STRING : POSITIVE_STRING;
  const done = new Set(guarded ? Object.keys(base).map((name) => name.toLowerCase()) : []);
  for (const statement of statements) {
    if (guarded && statement.effect !== "Deny") continue;
    for (const condition of statement.conditions) {
      const key = condition.key.toLowerCase();
      if (done.has(key) || !condition.valid || !condition.baseOperator || !operators.has(condition.baseOperator) || condition.setOperator)
        continue;
      const domain = constrained.get(key)?.domain;
      if (domain && domain.kind !== "present" && domain.kind !== "free") continue;
      const value = condition.values[0]?.replace(/\*/g, "s3vg").replace(/\?/g, "x");
      if (value === undefined || (domain && "except" in domain && domain.except?.includes(value))) continue;
      done.add(key);
      out[constrained.get(key)?.name ?? condition.key] = value;
    }
  }
  return out;
}

const SEED_MAX = 8;

function levelOfArn(arn: string): "object" | "bucket" {
  const segment = resourceSegment(arn) ?? "";
  return segment.includes("/") ? "object" : "bucket";
}

function toRequest(assignment: Assignment, dimensions: Map<string, KeyDimension>, extraContext: Record<string, string>): AccessRequest {
  const context: Record<string, string | string[]> = { ...extraContext };
  for (const dimension of dimensions.values()) {
    // Unassigned keys did not matter for the decision; they are left out (absent) unless the
    // key must be present, in which case its first class stands in.
    const values = assignment.keys.has(dimension.key) ? assignment.keys.get(dimension.key) : dimension.candidates[0];
    if (values === undefined || values.length === 0) continue;
    context[dimension.name] = values.length === 1 ? values[0]! : [...values];
  }
  return { action: assignment.action, resource: assignment.resource, principal: assignment.principal, context };
}

// ---------------------------------------------------------------------------------------
// Describing witnesses

export function describePrincipal(principal: RequestPrincipal | undefined): string {
  if (!principal) return "any principal";
  switch (principal.type) {
    case "Anonymous":
      return "an anonymous caller";
    case "Service":
      return `service ${principal.id}`;
    case "AWS": {
      const account = parseArn(principal.id)?.account ?? principal.id;
      if (principal.id.includes("s3vg-stranger")) return `a principal of another account (${principal.id})`;
      if (principal.id.includes("s3vg-probe")) return `a principal of account ${account}`;
      return principal.id;
    }
  }
}

/** "with aws:PrincipalOrgID absent, aws:SourceVpce = vpce-…" (free keys only, bounded). */
export function describeContext(request: AccessRequest, skip: readonly string[] = []): string {
  const skipped = new Set(skip.map((key) => key.toLowerCase()));
  const parts = Object.entries(request.context ?? {})
    .filter(([key, value]) => value !== undefined && !skipped.has(key.toLowerCase()))
    .slice(0, 4)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `[${value.map(readable).join(", ")}]` : readable(value!)}`);
  return parts.length > 0 ? ` with ${parts.join(", ")}` : "";
}

/** Representatives the partition invented stand for "any other value". */
function readable(value: string): string {
  return value === "s3vg-other" || value === "other" ? "(any other value)" : value;
}

/** The statements of one evaluation that decided it ("Statement[1] (Sid DenyOutsideOrg)"). */
export function describeDeciders(evaluation: Evaluation, statements: readonly Statement[]): string {
  const effect = evaluation.decision === "ExplicitDeny" ? "Deny" : evaluation.decision === "Allow" ? "Allow" : undefined;
  if (!effect) return "default (no statement allows it)";
  return evaluation.matched
    .filter((match) => match.effect === effect)
    .slice(0, 3)
    .map((match) => {
      const sid = statements.find((statement) => statement.path === match.path)?.sid;
      return `${match.path}${sid ? ` (Sid ${sid})` : ""}`;
    })
    .join(", ");
}

export function describeRequest(request: AccessRequest, skip: readonly string[] = []): string {
  return `${request.action} on ${request.resource} by ${describePrincipal(request.principal)}${describeContext(request, skip)}`;
}
