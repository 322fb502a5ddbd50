/**
 * `explain`: why a request to a bucket through an S3 endpoint is allowed or denied. The guide's
 * "Important" note: the endpoint policy, the bucket policy and the caller's identity policy
 * must all let the request through. Each layer's decision comes from the symbolic evaluator
 * (src/core/iam/symbolic.ts), which leaves every key the path does not fix free and returns witness
 * requests; their free keys are the conditions under which the request works. Pure: no I/O.
 */

import { FULL_ACCESS } from "../../core/iam/default-endpoint-policy.js";
import {
  actionMatcher,
  arnMatcher,
  evaluatePolicies,
  PRIVATE_RANGES,
  s3ResourceLevel,
  statementPrincipalMatches,
} from "../../core/iam/index.js";
import {
  ask,
  describePrincipal,
  verdictOf,
  type KeyDomain,
  type RequestSpace,
  type ResourceSpec,
  type Verdict,
  type Witness,
} from "../../core/iam/symbolic.js";
import type { AccessRequest, Decision, PolicyDocument, RequestPrincipal, Statement } from "../../core/iam/types.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import { describeRef, policyPath } from "../../core/model/refs.js";
import type { Bucket, Endpoint, PolicyField } from "../../core/model/types.js";
import { isS3Endpoint } from "../../core/rules/policy-views.js";
import { partitionOf } from "../../core/rules/consumers.js";
import type { IdentityPolicies } from "./identity.js";

export interface ExplainQuery {
  bucket: string;
  /** vpce-… id, NAMESPACE/NAME or NAME of an endpoint object. */
  endpoint?: string | undefined;
  vpc?: string | undefined;
  actions: readonly string[];
  key?: string | undefined;
  /** A role (or other principal) ARN; omitted: any principal with AWS credentials. */
  principal?: string | undefined;
  /** The principal's identity policies (a file, or read from the inputs for --principal). */
  identity?: IdentityPolicies | undefined;
}

export type LayerName = "endpoint" | "bucket" | "identity";

export interface DecidingStatement {
  sid?: string;
  index: number;
  effect: "Allow" | "Deny";
  /** JSON path in the manifest, e.g. spec.forProvider.policy.Statement[1]. */
  path: string;
  /** "VPCEndpoint payments-s3-gateway" or a file name. */
  source: string;
}

export interface LayerOutcome {
  layer: LayerName;
  /** Where the layer's policies are ("VPCEndpoint x spec.forProvider.policy", "AWS default endpoint policy (full access)"). */
  sources: string[];
  /** The layer's decision on the representative request. */
  decision: Decision;
  statements: DecidingStatement[];
  /**
   * Does this layer alone let requests of the path through (endpoint and identity: Allow; bucket:
   * no Deny)? always / never / sometimes over every value of the free keys; undecided over budget.
   */
  passes: Verdict;
}

export interface Change {
  layer: LayerName;
  /** Where to change: the statement's (or policy's) JSON path in the manifest. */
  path: string;
  source: string;
  /** What to change, in words with the value. */
  change: string;
}

export type Outcome = "allowed" | "conditional" | "denied" | "unknown";

export interface ActionExplanation {
  action: string;
  resource: string;
  outcome: Outcome;
  /** allowed / conditional: the free keys (and principal) of a request that works, e.g. "aws:PrincipalOrgID = o-123". */
  conditions: string[];
  layers: LayerOutcome[];
  /** denied / conditional: the smallest changes that would let the representative request through. */
  fixes: Change[];
  notes: string[];
}

export interface PathExplanation {
  endpoint: { resource: string; id?: string; vpc?: string; region?: string; type: string };
  actions: ActionExplanation[];
}

export interface Explanation {
  bucket: { name: string; resource?: string; region?: string };
  principal?: string;
  identity?: { evaluated: boolean; sources: string[]; missing: string[] };
  paths: PathExplanation[];
  /** Every asked action is allowed (possibly under conditions) on some path. */
  allowed: boolean;
  notes: string[];
}

/** A query the inputs cannot answer at all (unknown bucket or endpoint): exit 2. */
export class ExplainInputError extends Error {}

const PATH_KEYS = ["aws:SourceVpce", "aws:SourceVpc", "aws:SourceIp"];

interface SourcedDoc {
  doc: PolicyDocument;
  field: Pick<PolicyField, "path" | "sourcePaths"> | undefined;
  source: string;
}

export function explain(inventory: Inventory, query: ExplainQuery): Explanation {
  const bucket = findBucket(inventory, query.bucket);
  const region = bucket?.region?.value;
  const notes: string[] = [];
  if (!bucket)
    notes.push(`no Bucket named ${query.bucket} in the inputs: its bucket policy is taken from BucketPolicy objects naming it, if any`);
  const endpoints = selectEndpoints(inventory, query, region);
  if (endpoints.length === 0) notes.push(`no S3 endpoint${region ? ` in ${region}` : ""} in the inputs: no path to explain`);
  const bucketDocs = bucketLayer(inventory, bucket, query.bucket, notes);
  if (query.principal && !query.identity)
    notes.push(`no IAM Role or policy for ${query.principal} in the inputs: its identity policy is not evaluated`);
  const identity = query.identity;
  const identityDocs: SourcedDoc[] | undefined = identity
    ? identity.policies.flatMap((p) => (p.field.document ? [{ doc: p.field.document, field: p.field, source: p.source }] : []))
    : undefined;
  if (identity) {
    for (const p of identity.policies)
      if (!p.field.document)
        notes.push(`${p.source} ${p.field.path}: not a readable policy (${p.field.issues[0]?.message ?? "unparsable"}); left out`);
  }
  const paths = endpoints.map((endpoint) => ({
    endpoint: describeEndpoint(endpoint),
    actions: query.actions.map((action) => explainAction(inventory, endpoint, action, query, region, bucketDocs, identityDocs)),
  }));
  const allowed =
    paths.length > 0 &&
    query.actions.every((action) =>
      paths.some((p) => p.actions.some((a) => a.action === action && (a.outcome === "allowed" || a.outcome === "conditional"))),
    );
  return {
    bucket: { name: query.bucket, ...(bucket ? { resource: describeRef(bucket.ref) } : {}), ...(region ? { region } : {}) },
    ...(query.principal ? { principal: query.principal } : {}),
    ...(identity
      ? {
          identity: {
            evaluated: true,
            sources: [...new Set(identity.policies.map((p) => `${p.source} ${p.field.path}`))],
            missing: identity.missing,
          },
        }
      : {}),
    paths,
    allowed,
    notes,
  };
}

function findBucket(inventory: Inventory, name: string): Bucket | undefined {
  return inventory.bucketsNamed(name).sort((a, b) => describeRef(a.ref).localeCompare(describeRef(b.ref)))[0];
}

function bucketLayer(inventory: Inventory, bucket: Bucket | undefined, name: string, notes: string[]): SourcedDoc[] {
  const fields: { field: PolicyField; source: string }[] = [];
  if (bucket) {
    const own = bucket.policy ? [bucket.policy] : [];
    const policies =
      own.length > 0
        ? own.map((f) => ({ field: f, source: describeRef(bucket.ref) }))
        : inventory.policiesForBucket(bucket).flatMap((p) => (p.policy ? [{ field: p.policy, source: describeRef(p.ref) }] : []));
    fields.push(...policies);
  } else {
    for (const p of inventory.bucketPolicies())
      if (p.bucket.value === name && p.policy) fields.push({ field: p.policy, source: describeRef(p.ref) });
  }
  fields.sort((a, b) => a.source.localeCompare(b.source));
  return fields.flatMap(({ field, source }) => {
    if (field.document) return [{ doc: field.document, field, source }];
    notes.push(`${source} ${field.path}: not a readable policy; left out (run check for the details)`);
    return [];
  });
}

function selectEndpoints(inventory: Inventory, query: ExplainQuery, region: string | undefined): Endpoint[] {
  // Sorted: the same inputs give the same answer whatever order they were read in (files, a cluster).
  const all = [...inventory.endpoints()].filter(isS3Endpoint).sort(byRef);
  if (query.endpoint !== undefined) {
    const wanted = query.endpoint;
    const matches = wanted.startsWith("vpce-")
      ? inventory.endpointsWithAwsId(wanted).filter(isS3Endpoint).sort(byRef)
      : all.filter((e) => (wanted.includes("/") ? `${e.ref.namespace ?? ""}/${e.ref.name}` === wanted : e.ref.name === wanted));
    if (matches.length === 0)
      throw new ExplainInputError(
        `--endpoint ${wanted}: no S3 endpoint with that ${wanted.startsWith("vpce-") ? "id" : "name"} in the inputs; give a vpce-… id, NAMESPACE/NAME or NAME of a VPCEndpoint object`,
      );
    return matches;
  }
  if (query.vpc !== undefined) {
    const matches = inventory.endpointsInVpc(query.vpc).filter(isS3Endpoint).sort(byRef);
    if (matches.length === 0) throw new ExplainInputError(`--vpc ${query.vpc}: no S3 endpoint of that VPC in the inputs`);
    return matches;
  }
  return region ? all.filter((e) => serviceRegion(e) === region) : all;
}

const byRef = (a: Endpoint, b: Endpoint) => describeRef(a.ref).localeCompare(describeRef(b.ref));

/** The Region whose S3 the endpoint reaches: its service region (cross-region Interface endpoints), else its own. */
function serviceRegion(endpoint: Endpoint): string | undefined {
  return endpoint.serviceRegion?.value ?? endpoint.serviceNameRegion ?? endpoint.region?.value;
}

function describeEndpoint(endpoint: Endpoint): PathExplanation["endpoint"] {
  const region = serviceRegion(endpoint);
  return {
    resource: describeRef(endpoint.ref),
    ...(endpoint.awsId ? { id: endpoint.awsId } : {}),
    ...(endpoint.vpc?.value ? { vpc: endpoint.vpc.value } : {}),
    ...(region ? { region } : {}),
    type: endpoint.endpointType.value,
  };
}

function endpointLayer(endpoint: Endpoint): SourcedDoc | undefined {
  if (!endpoint.policy) return { doc: FULL_ACCESS, field: undefined, source: "AWS default endpoint policy (full access)" };
  if (!endpoint.policy.document) return undefined;
  return { doc: endpoint.policy.document, field: endpoint.policy, source: describeRef(endpoint.ref) };
}

function pathKeys(endpoint: Endpoint, inventory?: Inventory): Record<string, KeyDomain> {
  const vpcId = endpoint.vpc?.value;
  const cidrs = vpcId ? [...(inventory?.facts?.vpcs() ?? [])].find((v) => v.id === vpcId)?.cidrBlocks : undefined;
  return {
    "aws:SourceVpce": endpoint.awsId ? { kind: "fixed", value: endpoint.awsId } : { kind: "present" },
    "aws:SourceVpc": vpcId ? { kind: "fixed", value: vpcId } : { kind: "present" },
    "aws:SourceIp": { kind: "address", cidrs: cidrs && cidrs.length > 0 ? cidrs : PRIVATE_RANGES },
  };
}

function resourcesFor(
  action: string,
  bucket: string,
  region: string | undefined,
  key: string | undefined,
): { specs: ResourceSpec[]; shown: string } {
  const head = `arn:${partitionOf(region ?? "us-east-1")}:s3:::${bucket}`;
  const level = s3ResourceLevel(action);
  if (level === "bucket") return { specs: [head], shown: head };
  if (key !== undefined) return { specs: [`${head}/${key}`], shown: `${head}/${key}` };
  const objects: ResourceSpec = { prefix: `${head}/`, free: true, level: "object" };
  return { specs: level === "object" ? [objects] : [head, objects], shown: `${head}/*` };
}

type Label = "allowed" | "endpoint" | "bucket" | "identity";

/** The first layer that stops the request, or "allowed". Layers: endpoint, bucket[, identity]. */
function finalLabel(decisions: readonly Decision[], withIdentity: boolean): Label {
  const [endpoint, bucket, identity] = decisions;
  if (endpoint !== "Allow") return "endpoint";
  if (bucket === "ExplicitDeny") return "bucket";
  if (!withIdentity) return "allowed";
  if (identity === "ExplicitDeny") return "identity";
  // Same account: the identity policy or the bucket policy may grant (a bucket policy naming the principal).
  if (identity === "Allow" || bucket === "Allow") return "allowed";
  return "identity";
}

function explainAction(
  inventory: Inventory,
  endpoint: Endpoint,
  action: string,
  query: ExplainQuery,
  region: string | undefined,
  bucketDocs: SourcedDoc[],
  identityDocs: SourcedDoc[] | undefined,
): ActionExplanation {
  const { specs, shown } = resourcesFor(action, query.bucket, region, query.key);
  const base: ActionExplanation = { action, resource: shown, outcome: "unknown", conditions: [], layers: [], fixes: [], notes: [] };
  const reaches = serviceRegion(endpoint);
  if (region && reaches && reaches !== region) {
    // The guide: gateway endpoints reach buckets of their own Region only.
    return {
      ...base,
      outcome: "denied",
      notes: [
        `${describeRef(endpoint.ref)} reaches S3 in ${reaches}, the bucket is in ${region}: requests through it do not reach the bucket`,
      ],
      fixes: [
        {
          layer: "endpoint",
          path: endpoint.region?.path ?? "spec.forProvider.region",
          source: describeRef(endpoint.ref),
          change: `use an S3 endpoint in ${region} (a gateway endpoint reaches buckets of its own Region only)`,
        },
      ],
    };
  }
  const endpointDoc = endpointLayer(endpoint);
  if (!endpointDoc)
    return {
      ...base,
      notes: [`${describeRef(endpoint.ref)} ${endpoint.policy?.path ?? "policy"} is not a readable policy (run check for the details)`],
    };
  const layers: SourcedDoc[][] = [[endpointDoc], bucketDocs, ...(identityDocs ? [identityDocs] : [])];
  const principal: RequestPrincipal | undefined = query.principal ? { type: "AWS", id: query.principal } : undefined;
  const space: RequestSpace = {
    actions: [action],
    resources: specs,
    keys: pathKeys(endpoint, inventory),
    ...(principal ? { principal } : { principalKinds: ["AWS"] }),
  };
  const answer = ask<Label>({
    layers: layers.map((layer) => layer.map((d) => d.doc)),
    space,
    classify: (decisions) => finalLabel(decisions, identityDocs !== undefined),
    enough: (found) => found.has("allowed") && found.size > 1,
  });
  const verdict = verdictOf(answer, "allowed");
  const allowedWitness = answer.witnesses.get("allowed");
  const refused = (["endpoint", "bucket", "identity"] as const).map((l) => answer.witnesses.get(l)).find((w) => w !== undefined);
  const outcome: Outcome =
    verdict === "always"
      ? "allowed"
      : verdict === "never"
        ? "denied"
        : verdict === "sometimes" || allowedWitness
          ? "conditional"
          : "unknown";
  // Each layer alone: which of them never lets the request through is what a fix must change.
  const alone = layers.map((layer, i) => {
    const answerAlone = ask<"passes" | "blocks">({
      layers: [layer.map((d) => d.doc)],
      space,
      classify: ([decision]) => ((i === 1 ? decision !== "ExplicitDeny" : decision === "Allow") ? "passes" : "blocks"),
      focus: "passes",
    });
    return { verdict: verdictOf(answerAlone, "passes"), blocked: answerAlone.witnesses.get("blocks") };
  });
  const shownWitness = allowedWitness ?? refused;
  const out: ActionExplanation = { ...base, outcome };
  if (shownWitness) out.layers = layerOutcomes(shownWitness, layers).map((l, i) => ({ ...l, passes: alone[i]!.verdict }));
  if (allowedWitness && outcome === "conditional") out.conditions = conditionsOf(allowedWitness.request, principal === undefined);
  if (outcome === "denied" || outcome === "unknown") {
    const culprits = alone.flatMap((a, i) => (a.verdict === "never" && a.blocked ? [{ witness: a.blocked, index: i }] : []));
    out.fixes =
      culprits.length > 0
        ? culprits.flatMap(({ witness, index }) => fixesFor(witness.request, witness.evaluations[0]!.decision, index, layers, endpoint))
        : refused
          ? fixesFor(
              refused.request,
              refused.evaluations[LAYER_NAMES.indexOf(refused.label as LayerName)]!.decision,
              LAYER_NAMES.indexOf(refused.label as LayerName),
              layers,
              endpoint,
            )
          : [];
    if (identityDocs?.length === 0) {
      out.fixes = out.fixes.filter((f) => f.layer !== "identity");
      out.fixes.push({
        layer: "identity",
        path: "(no identity policy)",
        source: query.principal ?? "the principal",
        change: `attach a policy that allows ${action} on ${shown}`,
      });
    }
  }
  if (outcome === "unknown") out.notes.push("the question was too large to decide within the work budget; no claim is made");
  if (!identityDocs)
    out.notes.push("identity policy not evaluated (give --identity-policy FILE, or --principal with its Role in the inputs)");
  else if (query.identity && query.identity.missing.length > 0 && outcome !== "allowed") {
    out.notes.push(`attached policies not in the inputs were not evaluated and may grant more: ${query.identity.missing.join(", ")}`);
    if (outcome === "denied" && refused?.label === "identity") out.outcome = "unknown";
  }
  return out;
}

const LAYER_NAMES: readonly LayerName[] = ["endpoint", "bucket", "identity"];

function layerOutcomes(witness: Witness<Label>, layers: SourcedDoc[][]): LayerOutcome[] {
  return layers.map((layer, i) => {
    const decision = witness.evaluations[i]!.decision;
    const effect = decision === "ExplicitDeny" ? "Deny" : decision === "Allow" ? "Allow" : undefined;
    const statements: DecidingStatement[] = [];
    if (effect) {
      for (const d of layer) {
        for (const match of evaluatePolicies(witness.request, [d.doc]).matched) {
          if (match.effect !== effect || statements.length >= 5) continue;
          const sid = d.doc.statements.find((s) => s.path === match.path)?.sid;
          statements.push({ ...(sid ? { sid } : {}), index: match.index, effect, path: where(d, match.path), source: d.source });
        }
      }
    }
    return {
      layer: LAYER_NAMES[i]!,
      passes: "undecided" as Verdict,
      sources: layer.map((d) => (d.field ? `${d.source} ${d.field.path}` : d.source)),
      decision,
      statements,
    };
  });
}

/** "aws:PrincipalOrgID = o-123" for every free key the working request set, and its principal when free. */
function conditionsOf(request: AccessRequest, principalFree: boolean): string[] {
  const skip = new Set(PATH_KEYS.map((k) => k.toLowerCase()));
  const out = Object.entries(request.context ?? {})
    .filter(([key, value]) => value !== undefined && !skip.has(key.toLowerCase()))
    .slice(0, 8)
    .map(([key, value]) => `${key} = ${Array.isArray(value) ? `[${value.map(readable).join(", ")}]` : readable(value!)}`);
  if (principalFree && request.principal && !(request.principal.type === "AWS" && request.principal.id.includes("s3vg-"))) {
    out.unshift(`principal = ${describePrincipal(request.principal)}`);
  }
  return out;
}

function readable(value: string): string {
  return value === "s3vg-other" || value === "other" ? "(any value not named in the policies)" : value;
}

// ---------------------------------------------------------------------------------------
// The smallest change

function fixesFor(request: AccessRequest, decision: Decision, index: number, layers: SourcedDoc[][], endpoint: Endpoint): Change[] {
  const layer = layers[index] ?? [];
  const name = LAYER_NAMES[index]!;
  if (decision === "ExplicitDeny") return layer.flatMap((d) => denyFixes(d, request, name, endpoint));
  // No Allow matched: the Allow statement that needs the fewest changes.
  let best: { changes: Change[] } | undefined;
  for (const d of layer) {
    for (const statement of d.doc.statements) {
      if (statement.effect !== "Allow") continue;
      const changes = allowGaps(statement, d, request, name);
      if (changes.length > 0 && (!best || changes.length < best.changes.length)) best = { changes };
    }
  }
  if (best) return best.changes;
  const target = layer[0];
  return [
    {
      layer: name,
      path: target?.field?.path ?? "(policy)",
      source: target?.source ?? name,
      change: `add an Allow statement for ${request.action} on ${shownResource(request.resource)}`,
    },
  ];
}

function listMatches(
  values: readonly string[] | undefined,
  negated: readonly string[] | undefined,
  value: string,
  compile: (pattern: string) => (value: string) => boolean,
): boolean {
  if (values === undefined && negated === undefined) return false;
  return (
    (values === undefined || values.some((p) => compile(p)(value))) && (negated === undefined || !negated.some((p) => compile(p)(value)))
  );
}

const where = (d: SourcedDoc, inner: string) => (d.field?.path ? policyPath(d.field, inner) : inner);
/** Witness resources name invented objects ("s3vg-object"): shown as any object. */
const shownResource = (resource: string) => resource.replace(/s3vg-[a-z]+/g, "*");
const named = (s: Statement) => `${s.path}${s.sid ? ` (Sid ${s.sid})` : ""}`;

/** What an Allow statement lacks to match the request: each element is one change. */
function allowGaps(statement: Statement, d: SourcedDoc, request: AccessRequest, layer: LayerName): Change[] {
  const changes: Change[] = [];
  const at = (element: string, change: string) =>
    changes.push({ layer, path: where(d, `${statement.path}.${element}`), source: d.source, change: `${named(statement)}: ${change}` });
  if (!listMatches(statement.action, statement.notAction, request.action, actionMatcher)) {
    at(
      statement.action ? "Action" : "NotAction",
      statement.action ? `add "${request.action}" to Action` : `remove the entry matching "${request.action}" from NotAction`,
    );
  }
  if (!listMatches(statement.resource, statement.notResource, request.resource, arnMatcher)) {
    at(
      statement.resource ? "Resource" : "NotResource",
      statement.resource
        ? `add "${shownResource(request.resource)}" to Resource`
        : `remove the entry matching "${shownResource(request.resource)}" from NotResource`,
    );
  }
  if (!statementPrincipalMatches(statement, request.principal)) at("Principal", `add ${describePrincipal(request.principal)} to Principal`);
  for (const condition of statement.conditions) {
    const alone = conditionOnly(statement, condition.path);
    if (evaluatePolicies(request, [alone]).decision === "Allow") continue;
    const value = request.context?.[condition.key];
    at(
      condition.path.replace(`${statement.path}.`, ""),
      `the request does not meet ${condition.operator} ${condition.key} [${condition.values.join(", ")}]${value !== undefined ? ` (it has ${String(value)})` : ""}: ${positive(condition.operator) && value !== undefined ? `add "${String(value)}" to its values` : "relax or remove this condition"}`,
    );
  }
  return changes;
}

const positive = (operator: string) => !/Not|^Null/.test(operator);

/** The statement reduced to one of its conditions (everything else matches every request). */
function conditionOnly(statement: Statement, conditionPath: string): PolicyDocument {
  return {
    version: "2012-10-17",
    id: undefined,
    statements: [
      {
        ...statement,
        principal: undefined,
        notPrincipal: undefined,
        action: ["*"],
        notAction: undefined,
        resource: ["*"],
        notResource: undefined,
        conditions: statement.conditions.filter((c) => c.path === conditionPath),
      },
    ],
  };
}

function denyFixes(d: SourcedDoc, request: AccessRequest, layer: LayerName, endpoint: Endpoint): Change[] {
  const matched = evaluatePolicies(request, [d.doc]).matched.filter((m) => m.effect === "Deny");
  return matched.slice(0, 3).map((m) => {
    const statement = d.doc.statements.find((s) => s.path === m.path)!;
    // A Deny "unless it comes through endpoint X": the smallest change admits this path.
    const pathCondition = statement.conditions.find(
      (c) => /Not/.test(c.operator) && PATH_KEYS.slice(0, 2).some((k) => k.toLowerCase() === c.key.toLowerCase()),
    );
    if (pathCondition) {
      const value = pathCondition.key.toLowerCase() === "aws:sourcevpce" ? endpoint.awsId : endpoint.vpc?.value;
      return {
        layer,
        path: where(d, pathCondition.path),
        source: d.source,
        change: `${named(statement)} denies requests not from [${pathCondition.values.join(", ")}]: add "${value ?? `this endpoint's ${pathCondition.key} value`}" to ${pathCondition.operator} ${pathCondition.key}`,
      };
    }
    const conditions =
      statement.conditions.length > 0
        ? ` (its conditions hold for this request: ${statement.conditions.map((c) => `${c.operator} ${c.key}`).join(", ")})`
        : "";
    return {
      layer,
      path: where(d, statement.path),
      source: d.source,
      change: `${named(statement)} denies ${request.action} on ${shownResource(request.resource)}${conditions}: narrow its Action, Resource or Condition so that it no longer matches`,
    };
  });
}
