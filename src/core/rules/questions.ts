/**
 * The request spaces rules ask about (see src/core/iam/symbolic.ts), so that every rule fixes the
 * same things the same way: through an S3 endpoint the source address is a private address
 * of the VPC, the endpoint id and VPC are what the path fixes, and every other key is free.
 */

import { actionMatcher, arnMatcher, parseS3Arn, PRIVATE_RANGES, S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS } from "../iam/index.js";
import {
  ask,
  describeDeciders,
  describeRequest,
  verdictOf,
  type KeyDomain,
  type Layer,
  type Question,
  type RequestSpace,
  type ResourceSpec,
  type Verdict,
  type Witness,
} from "../iam/symbolic.js";
import type { Decision, PolicyDocument, Statement } from "../iam/types.js";
import type { Endpoint } from "../model/types.js";
import { RecentlyUsedMap } from "../util/recently-used-map.js";
import { partitionOf } from "./consumers.js";
import type { RuleContext } from "./rule.js";

/** Every known S3 action, the common ones first (witnesses then name a familiar action). */
const COMMON = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"];
export const ALL_S3_ACTIONS: readonly string[] = [
  ...COMMON,
  ...[...S3_OBJECT_ACTIONS, ...S3_BUCKET_ACTIONS].filter((action) => !COMMON.includes(action)),
];

/** Private addresses a request through an endpoint may come from (the VPC's blocks when known). */
export function sourceAddresses(vpcId: string | undefined, ctx: RuleContext): readonly string[] {
  if (vpcId) {
    for (const vpc of ctx.inventory.facts?.vpcs() ?? []) if (vpc.id === vpcId && vpc.cidrBlocks.length > 0) return vpc.cidrBlocks;
  }
  return PRIVATE_RANGES;
}

/** Keys fixed by a request through some (unnamed) VPC endpoint. */
export function anyEndpointKeys(): Record<string, KeyDomain> {
  return {
    "aws:SourceVpce": { kind: "present" },
    "aws:SourceVpc": { kind: "present" },
    "aws:SourceIp": { kind: "address", cidrs: PRIVATE_RANGES },
  };
}

/**
 * Keys fixed by a request through this endpoint. An id the model does not know yet (no status
 * id, an unresolved vpcIdRef) stays free-but-present: the answer then covers every id it may take.
 */
export function endpointKeys(endpoint: Endpoint, ctx: RuleContext): Record<string, KeyDomain> {
  return keysThrough(endpointOrigin(endpoint, ctx));
}

/** What a request through an endpoint carries that policies can test: all endpointKeys reads. */
export interface EndpointOrigin {
  awsId: string | undefined;
  vpcId: string | undefined;
  sourceCidrs: readonly string[];
}

export function endpointOrigin(endpoint: Endpoint, ctx: RuleContext): EndpointOrigin {
  const vpcId = endpoint.vpc?.value;
  return { awsId: endpoint.awsId, vpcId, sourceCidrs: sourceAddresses(vpcId, ctx) };
}

export function keysThrough({ awsId, vpcId, sourceCidrs }: EndpointOrigin): Record<string, KeyDomain> {
  return {
    "aws:SourceVpce": awsId ? { kind: "fixed", value: awsId } : { kind: "present" },
    "aws:SourceVpc": vpcId ? { kind: "fixed", value: vpcId } : { kind: "present" },
    "aws:SourceIp": { kind: "address", cidrs: sourceCidrs },
  };
}

/** The bucket and every object in it, or any bucket and object when the name is unknown. */
export function bucketResources(bucketName: string | undefined, region: string | undefined): ResourceSpec[] {
  return bucketResourcesIn(partitionOf(region ?? "us-east-1"), bucketName);
}

export function bucketResourcesIn(partition: string, bucketName: string | undefined): ResourceSpec[] {
  const head = `arn:${partition}:s3:::`;
  if (!bucketName)
    return [
      { prefix: head, free: true, level: "bucket" },
      { prefix: head, free: true, level: "object" },
    ];
  return [`${head}${bucketName}`, { prefix: `${head}${bucketName}/`, free: true, level: "object" }];
}

/**
 * The resources one statement names, as a space: exact ARNs as themselves and `…/prefix*` as
 * the family of objects under it; any bucket and object when it names anything else ("*",
 * other wildcards, NotResource). Asking over these instead of every bucket keeps questions small.
 */
export function statementResources(statement: Statement, region: string | undefined): ResourceSpec[] {
  const any = bucketResources(undefined, region);
  if (statement.resource === undefined || statement.notResource !== undefined) return any;
  const out: ResourceSpec[] = [];
  for (const resource of statement.resource) {
    const arn = parseS3Arn(resource);
    if (!arn) return any;
    const wild = /[*?$]/.test(resource);
    if (!wild) out.push(resource);
    else if (
      arn.key !== undefined &&
      !/[*?$]/.test(arn.bucket) &&
      resource.indexOf("*") === resource.length - 1 &&
      !/[?$]/.test(resource)
    ) {
      out.push({ prefix: resource.slice(0, -1), free: true, level: "object" });
    } else return any;
  }
  return out;
}

/** The S3 actions a statement's Action / NotAction covers. */
export function actionsOf(statement: Statement): string[] {
  const key = `${statement.action?.join("\u0000") ?? "-"}\u0001${statement.notAction?.join("\u0000") ?? "-"}`;
  const cached = actionsCache.get(key);
  if (cached) return cached;
  const actions = computeActionsOf(statement);
  if (actionsCache.size >= 1024) actionsCache.clear();
  actionsCache.set(key, actions);
  return actions;
}

/** Statements repeat the same Action lists across policies and reviews: bounded cache. */
const actionsCache = new Map<string, string[]>();

function computeActionsOf(statement: Statement): string[] {
  const positive = statement.action?.map(actionMatcher);
  const negative = statement.notAction?.map(actionMatcher);
  if (!positive && !negative) return [];
  return ALL_S3_ACTIONS.filter(
    (action) => (positive === undefined || positive.some((m) => m(action))) && (negative === undefined || !negative.some((m) => m(action))),
  );
}

/** The action/resource pairs one statement covers (its Action and Resource elements). */
export function coveredBy(statement: Statement): (action: string, resource: string) => boolean {
  const cached = coverage.get(statement);
  if (cached) return cached;
  const action = listMatcher(statement.action, statement.notAction, actionMatcher);
  const resource = listMatcher(statement.resource, statement.notResource, arnMatcher);
  const covers = (a: string, r: string) => action(a) && resource(r);
  if (coverage.size >= MAX_COVERAGE_ENTRIES) coverage.delete(coverage.keys().next().value!);
  coverage.set(statement, covers);
  return covers;
}

/** Bounded, not weak, for the reason of evaluate.ts's compiled statements: only recent statements are asked about again. */
const MAX_COVERAGE_ENTRIES = 1024;
const coverage = new Map<Statement, (action: string, resource: string) => boolean>();

function listMatcher(
  patterns: readonly string[] | undefined,
  negated: readonly string[] | undefined,
  compile: (pattern: string) => (value: string) => boolean,
) {
  // As the evaluator: an element missing both forms (policy-invalid's finding) covers nothing.
  if (patterns === undefined && negated === undefined) return () => false;
  const positive = patterns?.map(compile);
  const negative = negated?.map(compile);
  return (value: string) =>
    (positive === undefined || positive.some((m) => m(value))) && (negative === undefined || !negative.some((m) => m(value)));
}

export const single = (statement: Statement): PolicyDocument => ({ version: undefined, id: undefined, statements: [statement] });

export const explicitDeny = (decisions: readonly Decision[]) => (decisions[0] === "ExplicitDeny" ? "denied" : "passes");
/** "Is it denied?": classified by explicitDeny, which reads no Allow statement, so the search may leave them out. */
export const byExplicitDeny = { classify: explicitDeny, denyOnly: true } as const;
export const allowed = (decisions: readonly Decision[]) => (decisions[0] === "Allow" ? "allowed" : "refused");

export interface Asked<L extends string> {
  verdict: Verdict;
  witnesses: Map<L, Witness<L>>;
  /**
   * The search stopped once the question's `enough` was met: the verdict may read "undecided"
   * (not every label was looked for), yet the question asked is answered, and the search, being
   * deterministic, would stop at the same witnesses again.
   */
  settled?: boolean;
}

/**
 * Asks one question for a rule. An undecided answer (over budget, or a partition that could
 * not be completed) is reported to the front door's counter through the context.
 */
export function askFor<L extends string>(rule: string, ctx: RuleContext, question: Question<L>, label: L): Asked<L> {
  const answer = ask(question);
  const verdict = verdictOf(answer, label);
  if (verdict === "undecided" && !answer.empty && !answer.settled) ctx.undecided?.(rule);
  return { verdict, witnesses: answer.witnesses, settled: answer.settled };
}

/**
 * Whether an answer can be kept for its question: decided, or settled by the question's
 * `enough`. Only one cut short by the work budget must be asked (and counted) again.
 */
export function isAnswered(asked: Asked<string>): boolean {
  return asked.verdict !== "undecided" || asked.settled === true;
}

/**
 * A number per object (never reused), for the keys of remembered answers: a policy document or
 * statement is the same object for the same policy text (the parse cache), so an answer is found
 * again only for the very same statements. The numbers neither hold the objects nor keep them alive.
 */
export function identityOf(object: object): number {
  let number = identities.get(object);
  if (number === undefined) identities.set(object, (number = ++identified));
  return number;
}
const identities = new WeakMap<object, number>();
let identified = 0;

/**
 * askFor, remembered under `key`, which must name everything the question depends on (the
 * statements by identityOf, the region, the keys a request carries): a controller updates an
 * object many times without touching its policy, and each update is reviewed again. The key
 * must also fix the question's `enough` (a settled answer is kept). Answers left undecided by
 * the budget are not kept (each one is counted). Bounded by characters: the key plus a generous
 * estimate per witness (a request and its evaluations).
 */
export function askRemembered<L extends string>(
  rule: string,
  ctx: RuleContext,
  key: string,
  question: () => Question<L>,
  label: L,
): Asked<L> {
  const entry = `${rule}|${label}|${key}`;
  const kept = rememberedAnswers.get(entry);
  if (kept !== undefined) return kept as Asked<L>;
  const asked = askFor(rule, ctx, question(), label);
  // A settled answer is kept too: endpoint-full-access's "always allowed?" is settled by the
  // first refused request, and asking it again cost every review of an endpoint a search.
  if (isAnswered(asked)) rememberedAnswers.set(entry, asked, entry.length + ANSWER_WITNESS_CHARS * (asked.witnesses.size + 1));
  return asked;
}
const ANSWER_WITNESS_CHARS = 1024;
const rememberedAnswers = new RecentlyUsedMap<string, Asked<string>>(2 * 1024 * 1024);

/** "s3:GetObject on arn:…/x by … is denied by Statement[1] (Sid DenyOutsideOrg)". */
export function explainWitness(
  witness: Witness<string>,
  layer: number,
  statements: readonly Statement[],
  verb: string,
  skip: readonly string[] = [],
): string {
  return `${describeRequest(witness.request, skip)} ${verb} ${describeDeciders(witness.evaluations[layer]!, statements)}`;
}

export function statementsOf(layer: Layer): Statement[] {
  return layer.flatMap((doc) => doc.statements);
}

export type { RequestSpace };
