/**
 * adapt(raw, ctx): any raw Kubernetes object → the normalised model, or why not.
 * Never throws: objects that are not ours are `ignored`; ours but too broken to model are
 * `invalid` with issues naming the field and the fix.
 */
import { isWorkBudgetExceeded } from "../iam/work-budget.js";
import type { NamespaceInfo } from "../model/types.js";
import { adaptAck, ACK_DEFAULT_REGION_ANNOTATION } from "./ack.js";
import { baseOf, describe, isRecord, stringMap } from "./common.js";
import { adaptCommunity } from "./community.js";
import type { AdapterInput } from "./input.js";
import { findKind, isKnownGroupKind } from "../model/kinds.js";
import type { AdaptResult, AdapterContext, AdapterIssue } from "./types.js";
import { adaptUpjet } from "./upjet.js";

export { WATCHED_KINDS, NAMESPACE_KIND, findKind, apiVersionOf } from "../model/kinds.js";
export { normaliseS3Region, parseServiceName } from "./common.js";
export { ACK_DEFAULT_REGION_ANNOTATION, ACK_REGION_ANNOTATION } from "./ack.js";
export type { AdaptResult, AdapterContext, AdapterIssue, KubeObject, WatchedKind } from "./types.js";

export function adapt(raw: unknown, ctx: AdapterContext): AdaptResult {
  try {
    return adaptUnchecked(raw, ctx);
  } catch (error) {
    // The review's work budget ran out (parsing a policy): the engine answers "not checked".
    if (isWorkBudgetExceeded(error)) throw error;
    // A bug in an adapter must not take down admission or the CLI; report it on the object.
    return {
      status: "invalid",
      issues: [{ path: "", message: `internal error while reading the object: ${String(error)}; please report this` }],
    };
  }
}

function adaptUnchecked(raw: unknown, ctx: AdapterContext): AdaptResult {
  if (!isRecord(raw)) return { status: "ignored", reason: `not a Kubernetes object (got ${describe(raw)})` };
  const { apiVersion, kind } = raw;
  if (typeof apiVersion !== "string" || apiVersion === "") return { status: "ignored", reason: "no apiVersion" };
  if (typeof kind !== "string" || kind === "") return { status: "ignored", reason: "no kind" };

  if (apiVersion === "v1" && kind === "Namespace") return adaptNamespace(raw, apiVersion, kind);

  const watched = findKind(apiVersion, kind);
  if (!watched) {
    const reason = isKnownGroupKind(apiVersion, kind)
      ? `${apiVersion} ${kind}: this version is not one s3-vpce-guard knows`
      : `${apiVersion} ${kind} is not a kind s3-vpce-guard checks`;
    return { status: "ignored", reason };
  }

  const envelopeIssues: AdapterIssue[] = [];
  const metadata = isRecord(raw.metadata) ? raw.metadata : undefined;
  const givenName = metadata?.name;
  const generateName = metadata?.generateName;
  // kubectl create and compositions may leave naming to the API server (metadata.generateName):
  // such an object is checked like any other and called `<generateName>*` until it is named.
  const generated =
    (typeof givenName !== "string" || givenName.trim() === "") && typeof generateName === "string" && generateName.trim() !== "";
  const name = generated ? `${generateName as string}*` : givenName;
  if (typeof name !== "string" || name.trim() === "") {
    envelopeIssues.push({
      path: "metadata.name",
      message: `${kind} has no metadata.name (nor metadata.generateName); give the object a name`,
    });
  }
  const spec = raw.spec;
  if (spec !== undefined && spec !== null && !isRecord(spec)) {
    envelopeIssues.push({
      path: "spec",
      message: `spec must be an object holding the ${kind}'s fields, got ${describe(spec)}; check the manifest's indentation`,
    });
  }
  if (envelopeIssues.length > 0 || !metadata || typeof name !== "string") {
    return { status: "invalid", issues: envelopeIssues };
  }

  const input: AdapterInput = {
    apiVersion,
    kind,
    name,
    ...(generated ? { generatedName: true } : {}),
    namespace: typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : undefined,
    metadata,
    annotations: stringMap(metadata.annotations),
    spec: isRecord(spec) ? spec : undefined,
    status: raw.status,
    watched,
    ctx,
  };
  const adapted = watched.family === "ack" ? adaptAck(input) : watched.family === "community" ? adaptCommunity(input) : adaptUpjet(input);
  return { status: "adapted", object: adapted.object, issues: adapted.issues };
}

function adaptNamespace(raw: Record<string, unknown>, apiVersion: string, kind: string): AdaptResult {
  const metadata = isRecord(raw.metadata) ? raw.metadata : undefined;
  const name = metadata?.name;
  if (!metadata || typeof name !== "string" || name === "") {
    return { status: "invalid", issues: [{ path: "metadata.name", message: "Namespace has no metadata.name; give it a name" }] };
  }
  const base = baseOf({ apiVersion, kind, metadata }, name, "ack", false);
  const namespace: NamespaceInfo = { type: "Namespace", ref: base.ref, name, labels: base.labels };
  const defaultRegion = base.annotations[ACK_DEFAULT_REGION_ANNOTATION]?.trim();
  if (defaultRegion) namespace.defaultRegion = defaultRegion;
  return { status: "adapted", object: namespace, issues: [] };
}
