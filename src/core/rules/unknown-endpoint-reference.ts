import type { Condition, PolicyDocument, Statement } from "../iam/types.js";
import { describeRef, policyPath } from "../model/refs.js";
import { conditionsOnKey, firstExactValuesOnKey, type ConditionHit } from "../iam/policy-query.js";
import { hasWildcard } from "../iam/wildcard.js";
import { bucketPolicyView, type BucketPolicyView } from "./policy-views.js";
import { ALL_S3_ACTIONS, askFor, bucketResources, explainWitness, byExplicitDeny, single } from "./questions.js";
import type { Rule, RuleContext, RuleFinding } from "./rule.js";
import { keptPerObject } from "../util/kept-per-object.js";

const RULE = "unknown-endpoint-reference";
const KEYS = ["aws:SourceVpce", "aws:SourceVpc"] as const;
type IdKey = (typeof KEYS)[number];
/** What an id names, and its article. */
const WHAT: Record<IdKey, { noun: string; article: string }> = {
  "aws:SourceVpce": { noun: "endpoint", article: "an" },
  "aws:SourceVpc": { noun: "VPC", article: "a" },
};
const ID: Record<IdKey, RegExp> = {
  "aws:SourceVpce": /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/,
  "aws:SourceVpc": /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/,
};

interface Unknown {
  key: IdKey;
  id: string;
  hit: ConditionHit;
  index: number;
}

/**
 * The well-formed literal ids of a condition with their index (malformed ids and patterns are
 * vpce-condition-value's business), kept with the condition: a policy reviewed again is not read again.
 */
const wellFormedIds = (key: IdKey) =>
  keptPerObject((condition: Condition): readonly (readonly [id: string, index: number])[] =>
    condition.values.flatMap((id, index) => (hasWildcard(id) || !ID[key].test(id) ? [] : [[id, index] as const])),
  );
const wellFormedIdsOn: Record<IdKey, ReturnType<typeof wellFormedIds>> = {
  "aws:SourceVpce": wellFormedIds("aws:SourceVpce"),
  "aws:SourceVpc": wellFormedIds("aws:SourceVpc"),
};

function idStatus(key: IdKey, id: string, ctx: RuleContext) {
  return key === "aws:SourceVpce" ? ctx.inventory.endpointIdStatus(id) : ctx.inventory.vpcIdStatus(id);
}

/**
 * What the missing ids cost: asked over every request to the bucket (every S3 action, the
 * bucket and every object, any principal, every other key free) that comes through no
 * missing endpoint or VPC — the only requests that can exist until they do. The whole
 * policy's answer is the same for every missing id: asked once per check, not once per id.
 */
function consequences(view: BucketPolicyView, doc: PolicyDocument, unknowns: Unknown[], ctx: RuleContext): (unknown: Unknown) => string {
  const keys = Object.fromEntries(
    // Each id once: a policy names the same missing endpoint in many statements.
    KEYS.map((key) => [key, { kind: "free" as const, except: [...new Set(unknowns.filter((u) => u.key === key).map((u) => u.id))] }]),
  );
  const space = { actions: ALL_S3_ACTIONS, resources: bucketResources(view.bucketName, view.bucketRegion), keys };
  const target = view.bucketName ? `bucket ${view.bucketName}` : "the bucket";
  const whatOf = ({ key }: Unknown) => `${WHAT[key].article} ${WHAT[key].noun}`;
  const whole = askFor(RULE, ctx, { layers: [[doc]], space, ...byExplicitDeny, enough: (found) => found.has("passes") }, "denied");
  if (whole.verdict === "always") {
    const locked = explainWitness(whole.witnesses.get("denied")!, 0, doc.statements, "is denied by");
    return (unknown) =>
      ` Every request to ${target} is denied until such ${whatOf(unknown)} exists (e.g. ${locked}): the bucket is locked.`;
  }
  // Only what one Deny statement denies: the requests it would let pass if the id existed
  // (asked once per statement, however many missing ids it lists).
  const denied = new Map<Statement, string | undefined>();
  const deniedBy = (statement: Statement) => {
    if (denied.has(statement)) return denied.get(statement);
    const own = askFor(
      RULE,
      ctx,
      { layers: [[single(statement)]], space, ...byExplicitDeny, enough: (found) => found.has("denied") },
      "denied",
    );
    const witness = own.witnesses.get("denied");
    const text = witness && explainWitness(witness, 0, [statement], "is denied by");
    denied.set(statement, text);
    return text;
  };
  return (unknown) => {
    if (unknown.hit.statement.effect !== "Deny") return "";
    const text = deniedBy(unknown.hit.statement);
    return text ? ` Until such ${whatOf(unknown)} exists, ${text}.` : "";
  };
}

/**
 * Guide, "Restricting access to a specific endpoint / VPC": a bucket policy that requires
 * an endpoint or VPC nobody has is either dead or, as Deny + StringNotEquals, denies what
 * no other path can reach. Only reported when the inventory is complete (else "unknown"
 * just means "not seen yet").
 */
export const unknownEndpointReference: Rule = {
  id: RULE,
  defaultAction: "warn",
  guide: "Restricting access to a specific endpoint; Restricting access to a specific VPC",
  description: "Bucket policy that requires aws:SourceVpce / aws:SourceVpc ids that no known endpoint or VPC has.",
  appliesTo: ["Bucket", "BucketPolicy"],
  needsCompleteInventory: true,
  check(subject, ctx) {
    if (subject.type !== "Bucket" && subject.type !== "BucketPolicy") return [];
    const view = bucketPolicyView(subject, ctx.inventory);
    const doc = view?.field.document;
    if (!view || !doc) return [];
    // Each distinct id asked once (a policy names one endpoint in many statements). "undetermined"
    // (AWS not asked yet) is not "unknown": report only what is known to be missing.
    const missing = (key: IdKey) =>
      new Set(
        firstExactValuesOnKey(doc, key)
          .filter(({ value }) => ID[key].test(value) && idStatus(key, value, ctx) === "unknown")
          .map(({ value }) => value),
      );
    const missingIds: Record<IdKey, Set<string>> = {
      "aws:SourceVpce": missing("aws:SourceVpce"),
      "aws:SourceVpc": missing("aws:SourceVpc"),
    };
    if (KEYS.every((key) => missingIds[key].size === 0)) return [];
    // Every place a missing id is named.
    const unknowns: Unknown[] = [];
    for (const key of KEYS) {
      for (const hit of conditionsOnKey(doc, key)) {
        for (const [id, index] of wellFormedIdsOn[key](hit.condition)) if (missingIds[key].has(id)) unknowns.push({ key, id, hit, index });
      }
    }
    const consequence = consequences(view, doc, unknowns, ctx);
    return unknowns.map((unknown): RuleFinding => {
      const { key, id, hit, index } = unknown;
      const path = policyPath(view.field, hit.condition.values.length > 1 ? `${hit.condition.path}[${index}]` : hit.condition.path);
      const what = WHAT[key].noun;
      return {
        message: `${describeRef(subject.ref)}: ${path} requires ${what} ${id}, which no known ${what} has (not in the cluster${ctx.inventory.facts ? " nor in AWS" : ""}).${consequence(unknown)}`,
        fix: `Use the id of an existing S3 ${what} (status id of a VPCEndpoint), or create that ${what} first.`,
        path,
      };
    });
  },
};
