import { parseS3Arn } from "../iam/index.js";
import { FULL_ACCESS } from "../iam/default-endpoint-policy.js";
import { ask, describeDeciders, describeRequest, type Answer, type Witness } from "../iam/symbolic.js";
import type { Decision, PolicyDocument, Statement } from "../iam/types.js";
import { describeRef, policyPath } from "../model/refs.js";
import type { Endpoint, PolicyField } from "../model/types.js";
import { conditionsOnKey, exactValuesOnKey } from "../iam/policy-query.js";
import { hasWildcard } from "../iam/wildcard.js";
import { bucketPolicyView, effectiveBucketPolicies, isS3Endpoint, type BucketPolicyView } from "./policy-views.js";
import {
  ALL_S3_ACTIONS,
  allowed,
  askFor,
  identityOf,
  isAnswered,
  bucketResources,
  bucketResourcesIn,
  endpointKeys,
  endpointOrigin,
  keysThrough,
  byExplicitDeny,
  type Asked,
  type EndpointOrigin,
  type RequestSpace,
} from "./questions.js";
import { partitionOf } from "./consumers.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";
import { RecentlyUsedMap } from "../util/recently-used-map.js";

const RULE = "effective-access";

const docsOf = (fields: PolicyField[]): PolicyDocument[] =>
  fields.map((f) => f.document).filter((d): d is PolicyDocument => d !== undefined);

/**
 * Both layers must let the request through: the endpoint policy must allow, the bucket policy
 * must not deny. Each request is one of four outcomes per action; the bucket side reads
 * "ok" and "refused" (the endpoint's doing, the bucket would let it pass), the endpoint side
 * "ok" and "denied" (the endpoint grants, the bucket denies).
 */
const throughBoth = (decisions: readonly Decision[], action: string) =>
  `${action} ${decisions[0] === "Allow" ? (decisions[1] === "ExplicitDeny" ? "denied" : "ok") : decisions[1] === "ExplicitDeny" ? "refused-denied" : "refused"}`;

/**
 * The probe requests through one endpoint to one bucket, and a key naming them for the answers
 * kept below: the space is built only when a question is asked (most reviews find their answers
 * kept), the key from what the space is made of.
 */
interface PairSpace {
  readonly space: RequestSpace;
  readonly key: string;
}

function pairSpace(endpoint: Endpoint, bucketName: string, bucketRegion: string, ctx: RuleContext): PairSpace {
  // The space is made of these parts only, and so is the key: each part length-prefixed, so
  // that no two different spaces share a key.
  const origin = endpointOrigin(endpoint, ctx);
  const partition = partitionOf(bucketRegion);
  let key = `${probeActionsNumber(ctx.config.probeActions)}|${part(partition)}${part(bucketName)}${part(origin.awsId ?? "")}${part(origin.vpcId ?? "")}`;
  for (const cidr of origin.sourceCidrs) key += part(cidr);
  return new LazyPairSpace(key, ctx.config.probeActions, partition, bucketName, origin);
}

/**
 * A class rather than an object literal with a getter: a literal's getter is a new closure on
 * every call, which V8 keeps per object rather than in a shared hidden class, and that left
 * about 530 bytes per review of a bucket policy alive past two young collections, to be freed
 * only by a mark-compact (`--trace-gc-nvp`: promoted bytes per review 531 → 0).
 */
class LazyPairSpace implements PairSpace {
  private built: RequestSpace | undefined;

  constructor(
    readonly key: string,
    private readonly actions: readonly string[],
    private readonly partition: string,
    private readonly bucketName: string,
    private readonly origin: EndpointOrigin,
  ) {}

  get space(): RequestSpace {
    return (this.built ??= {
      actions: this.actions,
      resources: bucketResourcesIn(this.partition, this.bucketName),
      keys: keysThrough(this.origin),
    });
  }
}

const part = (text: string) => `${text.length}:${text}`;

/** A number per probe-action list (a config's; never reused), for the keys. */
const probeActionLists = new WeakMap<readonly string[], number>();
let probeActionListsNumbered = 0;
function probeActionsNumber(actions: readonly string[]): number {
  let number = probeActionLists.get(actions);
  if (number === undefined) probeActionLists.set(actions, (number = ++probeActionListsNumbered));
  return number;
}

/** The documents' identities (identityOf), in order: an answer is found only for the very same documents. */
function documentsKey(docs: readonly PolicyDocument[]): string {
  let key = "";
  for (const doc of docs) key += `${identityOf(doc)},`;
  return key;
}

/**
 * The question both sides of an endpoint/bucket pair ask (the bucket reviewed with its
 * endpoints, the endpoint with its buckets): asked once and shared. The answer depends only
 * on the two policy documents (the parse cache returns the same object for the same text)
 * and the space, so an entry is reused only for the very same documents and space.
 */
function askPair(endpointDoc: PolicyDocument, bucketDocs: readonly PolicyDocument[], pair: PairSpace, ctx: RuleContext): Answer<string> {
  const probes = ctx.config.probeActions;
  const key = `${documentsKey([endpointDoc])}|${documentsKey(bucketDocs)}|${pair.key}`;
  const cached = pairAnswers.get(key);
  if (cached) return cached;
  // One question for every probe action (labels carry the action); it stops once each action gets through.
  const answer = ask({
    layers: [[endpointDoc], bucketDocs],
    space: pair.space,
    classify: throughBoth,
    byAction: true,
    enough: (found) => probes.every((action) => found.has(`${action} ok`)),
  });
  // An answer the first plain requests settled is kept as one shared marker: its witnesses are
  // never read (both sides stop at `settled`), and keeping them cost a check of 50k resources
  // 50 MB for 19k answers. Finding it again cost the webhook a few concrete evaluations per
  // review (a third of the rule's time on the bench's mix).
  const kept = answer.settled ? SETTLED : answer;
  pairAnswers.set(key, kept, key.length + WITNESS_CHARS * (kept.witnesses.size + 1));
  return answer;
}

/** The witnesses of a kept answer whose witnesses are never read (shared, never written). */
const NO_WITNESSES = new Map<string, Witness<string>>();

/** What askPair keeps of a settled answer (read: `settled`, nothing else). */
const SETTLED: Answer<string> = { witnesses: NO_WITNESSES, exhaustive: false, empty: false, settled: true, steps: 0 };

/** Bounded by characters: the key plus a generous estimate per witness (a request and its evaluations). */
const MAX_PAIR_CHARS = 4 * 1024 * 1024;
const WITNESS_CHARS = 1024;
const pairAnswers = new RecentlyUsedMap<string, Answer<string>>(MAX_PAIR_CHARS);

function endpointDocument(endpoint: Endpoint): PolicyDocument | undefined {
  if (!endpoint.policy) return FULL_ACCESS;
  return endpoint.policy.document; // an unreadable policy is policy-invalid's finding
}

interface Blocked {
  actions: string[];
  witness: Witness<string> | undefined;
}

/**
 * Probe actions that no request through this endpoint can do on the bucket (every free key
 * free) because of the endpoint policy: some such request passes the bucket policy and the
 * endpoint policy refuses it. Actions the bucket policy itself denies are not the endpoint's fault.
 */
function blockedActions(endpointDoc: PolicyDocument, bucketDocs: PolicyDocument[], pair: PairSpace, ctx: RuleContext): Blocked {
  const probes = ctx.config.probeActions;
  const answer = askPair(endpointDoc, bucketDocs, pair, ctx);
  const out: Blocked = { actions: [], witness: undefined };
  if (answer.settled) return out;
  if (!answer.exhaustive) {
    if (!answer.empty) ctx.undecided?.(RULE);
    return out;
  }
  for (const action of probes) {
    const refused = answer.witnesses.get(`${action} refused`);
    if (answer.witnesses.has(`${action} ok`) || !refused) continue;
    out.actions.push(action);
    out.witness ??= refused;
  }
  return out;
}

/**
 * Does the bucket policy alone let some request through this endpoint pass? (Else it blocks the
 * endpoint on purpose.) Decided answers are kept as askPair's are, for the same documents and
 * space; an undecided one is asked again (and counted again) next time.
 */
function bucketAdmits(bucketDocs: PolicyDocument[], pair: PairSpace, ctx: RuleContext): boolean {
  const key = `${documentsKey(bucketDocs)}|${pair.key}`;
  const cached = admitsAnswers.get(key);
  if (cached !== undefined) return cached;
  const { verdict, witnesses } = askFor(
    RULE,
    ctx,
    { layers: [bucketDocs], space: pair.space, ...byExplicitDeny, enough: (found) => found.has("passes") },
    "denied",
  );
  const admits = witnesses.has("passes");
  // A request that passes is a definite answer; without one, only an exhaustive search is.
  if (admits || verdict !== "undecided") admitsAnswers.set(key, admits, key.length + ENTRY_CHARS);
  return admits;
}

/** Bounded by characters: the key plus an estimate for the entry (a key is a few hundred characters). */
const ENTRY_CHARS = 64;
const admitsAnswers = new RecentlyUsedMap<string, boolean>(1024 * 1024);

function refusal(witness: Witness<string> | undefined, endpointDoc: PolicyDocument): string {
  if (!witness) return "";
  return `, e.g. ${describeRequest(witness.request, ["aws:SourceIp"])} is refused by the endpoint policy (${describeDeciders(witness.evaluations[0]!, endpointDoc.statements)})`;
}

/** Bucket side: the bucket admits endpoint E (or VPC V), but E (or every S3 endpoint of V) does not let the probes through. */
function checkBucketSide(view: BucketPolicyView, subjectLabel: string, ctx: RuleContext): RuleFinding[] {
  const { bucketName, bucketRegion } = view;
  const bucketDoc = view.field.document;
  if (!bucketName || !bucketRegion || hasWildcard(bucketName) || !bucketDoc) return [];
  const bucketDocs = [bucketDoc];
  const findings: RuleFinding[] = [];
  for (const id of exactValuesOnKey(bucketDoc, "aws:SourceVpce")) {
    for (const endpoint of ctx.inventory.endpointsWithAwsId(id).filter(isS3Endpoint)) {
      const endpointDoc = endpointDocument(endpoint);
      if (!endpointDoc || !endpoint.policy) continue;
      const pair = pairSpace(endpoint, bucketName, bucketRegion, ctx);
      if (!bucketAdmits(bucketDocs, pair, ctx)) continue;
      const { actions, witness } = blockedActions(endpointDoc, bucketDocs, pair, ctx);
      if (actions.length === 0) continue;
      const path = policyPath(view.field, conditionsOnKey(bucketDoc, "aws:SourceVpce")[0]!.condition.path);
      findings.push({
        message: `${subjectLabel}: ${path} admits endpoint ${id}, but the endpoint policy of ${describeRef(endpoint.ref)} (${endpoint.policy.path}) does not allow ${actions.join(", ")} on bucket ${bucketName} for any request: those requests cannot succeed through it${refusal(witness, endpointDoc)}.`,
        fix: `Allow ${actions.join(", ")} on arn:aws:s3:::${bucketName} and arn:aws:s3:::${bucketName}/* in ${describeRef(endpoint.ref)} ${endpoint.policy.path}, or admit an endpoint that does.`,
        path,
      });
    }
  }
  for (const vpcId of exactValuesOnKey(bucketDoc, "aws:SourceVpc")) {
    const endpoints = ctx.inventory.endpointsInVpc(vpcId).filter((e) => isS3Endpoint(e) && e.region?.value === bucketRegion);
    if (endpoints.length === 0) continue;
    const pairs = endpoints.map((e) => pairSpace(e, bucketName, bucketRegion, ctx));
    if (!pairs.some((pair) => bucketAdmits(bucketDocs, pair, ctx))) continue;
    const perEndpoint = endpoints.map((e, i) => {
      const doc = endpointDocument(e);
      return doc ? blockedActions(doc, bucketDocs, pairs[i]!, ctx) : { actions: [], witness: undefined };
    });
    // Denied only if no endpoint of the VPC lets the action through.
    const denied = ctx.config.probeActions.filter((a) => perEndpoint.every((blocked) => blocked.actions.includes(a)));
    if (denied.length === 0) continue;
    const path = policyPath(view.field, conditionsOnKey(bucketDoc, "aws:SourceVpc")[0]!.condition.path);
    const firstDoc = endpointDocument(endpoints[0]!);
    findings.push({
      message: `${subjectLabel}: ${path} admits VPC ${vpcId}, but none of its S3 endpoints in ${bucketRegion} (${endpoints.map((e) => describeRef(e.ref)).join(", ")}) allows ${denied.join(", ")} on bucket ${bucketName} for any request${firstDoc ? refusal(perEndpoint[0]!.witness, firstDoc) : ""}.`,
      fix: `Allow ${denied.join(", ")} on bucket ${bucketName} in the endpoint policy of an S3 endpoint of ${vpcId}.`,
      path,
    });
  }
  return findings;
}

/** Endpoint side: the endpoint policy grants bucket B by name, but B's policy denies every such request through this endpoint. */
function checkEndpointSide(endpoint: Endpoint, ctx: RuleContext): RuleFinding[] {
  const policy = endpoint.policy;
  const region = endpoint.region?.value;
  if (!policy?.document || !region) return [];
  const doc = policy.document;
  const findings: RuleFinding[] = [...allowsNothing(endpoint, doc, policy, region, ctx)];
  if (!endpoint.awsId) return findings;
  const seen = new Set<string>();
  for (const statement of doc.statements) {
    if (statement.effect !== "Allow") continue;
    (statement.resource ?? []).forEach((resource, index) => {
      const arn = parseS3Arn(resource);
      if (!arn || hasWildcard(arn.bucket) || seen.has(arn.bucket)) return;
      seen.add(arn.bucket);
      for (const bucket of ctx.inventory.bucketsNamed(arn.bucket)) {
        const bucketDocs = docsOf(effectiveBucketPolicies(bucket, ctx.inventory));
        if (bucketDocs.length === 0) continue;
        const denied: string[] = [];
        let witness: Witness<string> | undefined;
        const probes = ctx.config.probeActions;
        const answer = askPair(doc, bucketDocs, pairSpace(endpoint, arn.bucket, bucket.region?.value ?? region, ctx), ctx);
        if (!answer.settled && !answer.exhaustive && !answer.empty) ctx.undecided?.(RULE);
        if (answer.exhaustive) {
          for (const action of probes) {
            const deniedWitness = answer.witnesses.get(`${action} denied`);
            if (answer.witnesses.has(`${action} ok`) || !deniedWitness) continue;
            denied.push(action);
            witness ??= deniedWitness;
          }
        }
        if (denied.length === 0) continue;
        const path = policyPath(policy, `${statement.path}.Resource${(statement.resource?.length ?? 0) > 1 ? `[${index}]` : ""}`);
        const example = witness
          ? `, e.g. ${describeRequest(witness.request, ["aws:SourceIp"])} is denied by ${describeDeciders(
              witness.evaluations[1]!,
              bucketDocs.flatMap((d) => d.statements),
            )}`
          : "";
        findings.push({
          message: `${describeRef(endpoint.ref)}: ${path} grants bucket ${arn.bucket}, but the bucket policy of ${describeRef(bucket.ref)} denies ${denied.join(", ")} for every request through this endpoint (${endpoint.awsId})${example}.`,
          fix: `Admit ${endpoint.awsId} (aws:SourceVpce) or its VPC in the bucket policy of ${arn.bucket}, or remove the bucket from this endpoint policy.`,
          path,
        });
      }
    });
  }
  return findings;
}

/**
 * allowsNothing's question: is any S3 request through the endpoint allowed by its policy? Asked
 * in every review of the endpoint, so decided and settled answers are kept as askPair's are, for
 * the same document, region and keys (the actions are always all of S3's); only a "never" keeps
 * its witnesses, the one answer that makes a finding. An answer left undecided by the budget is
 * asked (and counted) again.
 */
function allowsAnything(doc: PolicyDocument, region: string, keys: RequestSpace["keys"], ctx: RuleContext): Asked<string> {
  const key = `${documentsKey([doc])}|${region}|${JSON.stringify(keys)}`;
  const kept = allowsAnswers.get(key);
  if (kept !== undefined) return kept;
  const asked = askFor(
    RULE,
    ctx,
    {
      layers: [[doc]],
      space: { actions: ALL_S3_ACTIONS, resources: bucketResources(undefined, region), keys },
      classify: allowed,
      enough: (found) => found.has("allowed"),
    },
    "allowed",
  );
  if (asked.verdict === "never") allowsAnswers.set(key, asked, key.length + WITNESS_CHARS * (asked.witnesses.size + 1));
  // Settled (an allowed request found first) answers "not never" as surely as a decided verdict.
  else if (isAnswered(asked)) allowsAnswers.set(key, { verdict: asked.verdict, witnesses: NO_WITNESSES }, key.length + ENTRY_CHARS);
  return asked;
}

const allowsAnswers = new RecentlyUsedMap<string, Asked<string>>(1024 * 1024);

/** An S3 endpoint whose policy allows no S3 request at all, for any principal, bucket or key. */
function allowsNothing(endpoint: Endpoint, doc: PolicyDocument, policy: PolicyField, region: string, ctx: RuleContext): RuleFinding[] {
  // The question covers bucket and object ARNs; an Allow on access points, Multi-Region
  // Access Points or other S3 resources lies outside it, so no claim is made then.
  const outside = (resource: string) => resource !== "*" && parseS3Arn(resource) === undefined;
  if (doc.statements.some((s) => s.effect === "Allow" && (s.notResource !== undefined || (s.resource ?? []).some(outside)))) return [];
  const { verdict, witnesses } = allowsAnything(doc, region, endpointKeys(endpoint, ctx), ctx);
  if (verdict !== "never") return [];
  const witness = witnesses.get("refused");
  const onlyDeny = doc.statements.every((s: Statement) => s.effect === "Deny");
  return [
    {
      message: `${describeRef(endpoint.ref)}: ${policy.path} allows no S3 request at all through this endpoint (${onlyDeny ? "it has only Deny statements" : "no Allow statement can ever match"})${witness ? `, e.g. ${describeRequest(witness.request, ["aws:SourceIp"])} is refused by ${describeDeciders(witness.evaluations[0]!, doc.statements)}` : ""}: every S3 request through it fails.`,
      fix: `Add an Allow statement for the buckets and actions this VPC uses to ${policy.path}, or remove the policy to get AWS's default.`,
      path: policy.path,
    },
  ];
}

/**
 * Guide, "Important": every policy layer must grant. A bucket reachable only through an
 * endpoint whose policy does not allow it is unreachable, and the converse.
 */
export const effectiveAccess: Rule = {
  id: RULE,
  defaultAction: "warn",
  guide: "Using endpoint policies for Amazon S3 (Important: all policy types must grant access)",
  description: "Bucket and endpoint policies that contradict each other, so the bucket is unreachable through the endpoint.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject, ctx) {
    if (subject.type === "Endpoint") return isS3Endpoint(subject) ? checkEndpointSide(subject, ctx) : [];
    if (subject.type !== "Bucket" && subject.type !== "BucketPolicy") return [];
    const view = bucketPolicyView(subject, ctx.inventory);
    return view ? checkBucketSide(view, describeRef(subject.ref), ctx) : [];
  },
};
