/**
 * AdmissionReview v1 in → AdmissionReview v1 out, around the engine. Pure and synchronous:
 * no HTTP, no I/O, so it is tested without a server and can never wait on anything slow.
 */
import { adapt, type AdapterIssue } from "../core/adapters/index.js";
import type { Config } from "../core/config.js";
import { adapterContext } from "../core/adapters/inventory-adapter.js";
import { review } from "../core/engine/engine.js";
import { capText, isStandIn, notCheckedFinding, withinBudget } from "../core/engine/limits.js";
import type { Inventory } from "../core/inventory/inventory.js";
import type { Finding } from "../core/model/findings.js";
import { describeRef } from "../core/model/refs.js";
import type { ModelObject, Operation } from "../core/model/types.js";
import { isRecord } from "../core/util/record.js";
import { startsWithText } from "../core/util/text.js";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";
/** kubectl prints each warning on one line; the API server shortens longer ones anyway. */
export const MAX_WARNING_LENGTH = 120;
/**
 * The API server caps the total size of warnings per request (and truncates beyond it); a
 * policy with hundreds of statements must not produce hundreds of lines either.
 */
export const MAX_WARNINGS = 25;
/** Kubernetes uids are 36-character UUIDs; anything far longer is not from an API server. */
export const MAX_UID_LENGTH = 128;
/** Names, namespaces, kinds, groups and versions are DNS names or labels: at most 253 characters. */
export const MAX_NAME_LENGTH = 253;
/** Violations spelled out in a deny message; the rest are counted. */
export const MAX_DENY_LINES = 10;
/** Characters of one violation line of a deny message. */
export const MAX_DENY_LINE_LENGTH = 400;
/**
 * Lines of a deny message: the heading, the violations, a fix line per run of two or more
 * violations sharing one (at most one per two violations), and the count of the rest.
 */
export const MAX_DENY_MESSAGE_LINES = 1 + MAX_DENY_LINES + MAX_DENY_LINES / 2 + 1;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  operation: Operation;
  namespace?: string;
  name?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

const OPERATIONS: readonly Operation[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

const optionalString = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Checks the envelope; every message names the field at fault and what was expected. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isRecord(body)) return { ok: false, message: "the request body must be a JSON object (an AdmissionReview)" };
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== "AdmissionReview") {
    return {
      ok: false,
      message: `expected apiVersion ${ADMISSION_API_VERSION} and kind AdmissionReview, got ${JSON.stringify(body.apiVersion ?? null)} ${JSON.stringify(body.kind ?? null)}; list only "v1" in the webhook's admissionReviewVersions`,
    };
  }
  const request = body.request;
  if (!isRecord(request)) return { ok: false, message: "AdmissionReview.request is missing or not an object" };
  if (typeof request.uid !== "string" || request.uid === "") {
    return { ok: false, message: "AdmissionReview.request.uid is missing; the API server always sends one" };
  }
  if (request.uid.length > MAX_UID_LENGTH) {
    return {
      ok: false,
      message: `AdmissionReview.request.uid is ${request.uid.length} characters long; the API server sends a UUID (at most ${MAX_UID_LENGTH} characters are accepted)`,
    };
  }
  const kind = request.kind;
  if (!isRecord(kind) || typeof kind.kind !== "string" || typeof kind.version !== "string") {
    return { ok: false, message: "AdmissionReview.request.kind must be an object {group, version, kind}" };
  }
  for (const [field, value] of [
    ["kind.group", kind.group],
    ["kind.version", kind.version],
    ["kind.kind", kind.kind],
    ["namespace", request.namespace],
    ["name", request.name],
  ] as const) {
    if (typeof value === "string" && value.length > MAX_NAME_LENGTH) {
      return {
        ok: false,
        message: `AdmissionReview.request.${field} is ${value.length} characters long; Kubernetes allows at most ${MAX_NAME_LENGTH}`,
      };
    }
  }
  const operation = request.operation;
  if (typeof operation !== "string" || !OPERATIONS.includes(operation as Operation)) {
    return {
      ok: false,
      message: `AdmissionReview.request.operation must be one of ${OPERATIONS.join(", ")}, got ${JSON.stringify(operation ?? null)}`,
    };
  }
  return {
    ok: true,
    request: {
      uid: request.uid,
      kind: { group: typeof kind.group === "string" ? kind.group : "", version: kind.version, kind: kind.kind },
      operation: operation as Operation,
      namespace: optionalString(request.namespace),
      name: optionalString(request.name),
      object: request.object,
      oldObject: request.oldObject,
      dryRun: request.dryRun === true,
    },
  };
}

export interface AdmissionContext {
  config: Config;
  inventory: Inventory;
  /** True once every informer has listed its kind (false with --no-kube). */
  inventoryComplete: boolean;
  now?: Date;
}

export type AdmissionDecision = "allowed" | "denied" | "warned";

export interface AdmissionResult {
  review: AdmissionReviewResponse;
  decision: AdmissionDecision;
  /** Every finding, audit ones included (for metrics). */
  findings: Finding[];
  /** Rules that left a question undecided (over its work budget), for metrics. */
  undecided?: string[];
  /** Set when the object is ours; absent for kinds we do not check. */
  subject?: ModelObject;
  /** The review needed more than config limits.workSteps and was answered "not checked". */
  limitExceeded?: boolean;
  /** Work steps the decision took (for metrics and tests). */
  workSteps?: number;
}

/** "ec2.aws.upbound.io/v1beta2" from the request's group/version. */
function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/**
 * The raw object with what the API server implies but may leave out: apiVersion/kind from
 * request.kind, the namespace from the request. Copies only when something is missing.
 */
function withEnvelope(raw: unknown, request: AdmissionRequest): unknown {
  if (!isRecord(raw)) return raw;
  let object = raw;
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    object = { ...object, apiVersion: apiVersionOf(request.kind), kind: request.kind.kind };
  }
  const metadata = object.metadata;
  if (request.namespace && isRecord(metadata) && typeof metadata.namespace !== "string") {
    object = { ...object, metadata: { ...metadata, namespace: request.namespace } };
  }
  return object;
}

/**
 * One line of `kubectl` output, ≤ `max` characters: each arrow "→" becomes " > ", each run of
 * whitespace one space, trimmed, and cut with "…". One pass that stops once the line is full:
 * a finding's message may be 1,000 characters and an UPDATE may warn about every finding. Runs
 * of other characters are copied with one slice each (a concatenation per character cost about
 * 40 ns per character, 5 µs per warning).
 */
export function shortLine(text: string, max = MAX_WARNING_LENGTH): string {
  let line = "";
  let spaceBefore = false;
  // Start of the run of ordinary characters being read, not yet in `line` (−1: none).
  let run = -1;
  let i = 0;
  for (; i < text.length && line.length + (run < 0 ? 0 : i - run) <= max; i++) {
    const code = text.charCodeAt(i);
    const arrow = code === ARROW;
    if (!arrow && !isWhitespace(code)) {
      if (run < 0) {
        if (spaceBefore && line.length > 0) line += " ";
        spaceBefore = false;
        run = i;
      }
      continue;
    }
    if (run >= 0) {
      line += text.slice(run, i);
      run = -1;
    }
    if (arrow) line += line.length > 0 ? " >" : ">";
    spaceBefore = true;
  }
  if (run >= 0) line += text.slice(run, i);
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

const ARROW = 0x2192;

/** What `\s` matches in a RegExp: ECMAScript's WhiteSpace and LineTerminator. */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function withoutResourcePrefix(finding: Finding): string {
  const prefix = `${describeRef(finding.resource)}: `;
  return startsWithText(finding.message, prefix) ? finding.message.slice(prefix.length) : finding.message;
}

/** "<path>: <message>", without repeating the path when the message already starts with it. */
function locatedMessage(finding: Finding): string {
  const message = withoutResourcePrefix(finding);
  if (!finding.path || startsWithText(message, finding.path)) return message;
  return `${finding.path}: ${message}`;
}

export function warningLine(finding: Finding): string {
  return shortLine(`[${finding.rule}] ${locatedMessage(finding)}`);
}

function issueWarning(issue: AdapterIssue, checked: boolean): string {
  const location = issue.path && !startsWithText(issue.message, issue.path) ? `${issue.path}: ` : "";
  // "not checked" first: the line is cut at 120 characters.
  return shortLine(`[s3-vpce-guard]${checked ? "" : " not checked:"} ${location}${issue.message}`);
}

/**
 * The 403 message: at most MAX_DENY_LINES violations, each cut to MAX_DENY_LINE_LENGTH,
 * then a count of the rest, so its size never grows with the object. Violations that share a
 * fix (a rule's findings, one per statement) say it once, after the last of them: ten copies of
 * the same sentence hid the violations themselves.
 */
export function denyMessage(subjectName: string, denials: readonly Finding[]): string {
  const shown = denials.slice(0, MAX_DENY_LINES);
  const lines: string[] = [];
  for (let index = 0, runStart = 0; index < shown.length; index += 1) {
    const finding = shown[index]!;
    // Findings about another object (cross-resource rules) keep its name.
    const resource = describeRef(finding.resource);
    const violation = `[${finding.rule}] ${resource === subjectName ? "" : `${resource}: `}${locatedMessage(finding)}`;
    const runEnds = index + 1 === shown.length || shown[index + 1]!.fix !== finding.fix;
    const run = index + 1 - runStart;
    const alone = runEnds && run === 1;
    lines.push(capText(alone ? `${violation} Fix: ${finding.fix}` : violation, MAX_DENY_LINE_LENGTH));
    if (runEnds && !alone) lines.push(capText(`Fix (the ${run} violations above): ${finding.fix}`, MAX_DENY_LINE_LENGTH));
    if (runEnds) runStart = index + 1;
  }
  if (denials.length > MAX_DENY_LINES) {
    lines.push(`… and ${denials.length - MAX_DENY_LINES} more; run "s3-vpce-guard check" on the manifest to see them all`);
  }
  const count = denials.length === 1 ? "1 violation" : `${denials.length} violations`;
  return `s3-vpce-guard denied ${capText(subjectName, MAX_NAME_LENGTH)} (${count} of the AWS guide "Endpoints for Amazon S3"):\n${lines.join("\n")}`;
}

function respond(request: AdmissionRequest, allowed: boolean, extra: Partial<AdmissionResponse> = {}): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response: { uid: request.uid, allowed, ...extra } };
}

/** Duplicates dropped, at most MAX_WARNINGS lines, the last one saying how many were left out. */
export function limitWarnings(lines: readonly string[]): string[] {
  const unique = [...new Set(lines)];
  if (unique.length <= MAX_WARNINGS) return unique;
  const shown = unique.slice(0, MAX_WARNINGS - 1);
  return [
    ...shown,
    `[s3-vpce-guard] ${unique.length - shown.length} more warnings; run "s3-vpce-guard check" on the manifest to see them all`,
  ];
}

function allow(request: AdmissionRequest, warnings: string[] = []): AdmissionResult {
  return {
    review: respond(request, true, warnings.length > 0 ? { warnings } : {}),
    decision: warnings.length > 0 ? "warned" : "allowed",
    findings: [],
  };
}

/**
 * Decides one AdmissionRequest. `deny` findings reject it (HTTP-403-style status listing
 * each with its field path and fix), `warn` findings become kubectl warnings, `audit`
 * findings change nothing here (they only reach metrics). dryRun requests are decided the
 * same way: deciding has no side effects.
 */
export function decide(request: AdmissionRequest, ctx: AdmissionContext): AdmissionResult {
  // One budget for adapting (policy parsing) and reviewing; the review inside joins it.
  const outcome = withinBudget(ctx.config, () => decideWithinBudget(request, ctx));
  const limit = ctx.config.limits.workSteps;
  if (outcome.ok) return { ...outcome.value, workSteps: outcome.spent, ...(outcome.spent > limit ? { limitExceeded: true } : {}) };
  // The budget ran out before the object was even modelled (parsing its policy).
  const ref = {
    apiVersion: apiVersionOf(request.kind),
    kind: request.kind.kind,
    namespace: request.namespace ?? null,
    name: request.name ?? "(unnamed)",
  };
  const { finding } = notCheckedFinding(ctx.config, ref, outcome.exceeded);
  const result: AdmissionResult =
    finding.action === "deny"
      ? {
          review: respond(request, false, {
            status: { code: 403, reason: "Forbidden", message: denyMessage(describeRef(ref), [finding]) },
          }),
          decision: "denied",
          findings: [finding],
        }
      : { ...allow(request, [shortLine(`[s3-vpce-guard] ${withoutResourcePrefix(finding)}`)]), findings: [finding] };
  return { ...result, limitExceeded: true, workSteps: limit };
}

function decideWithinBudget(request: AdmissionRequest, ctx: AdmissionContext): AdmissionResult {
  if (request.operation === "CONNECT") return allow(request);
  const deleting = request.operation === "DELETE";
  // DELETE carries the stored object in oldObject; `object` is null.
  const raw = withEnvelope(deleting ? request.oldObject : request.object, request);
  // The review's models are dropped after this request.
  const adapterCtx = { ...adapterContext(ctx.inventory, ctx.config), transient: true };
  const adapted = adapt(raw, adapterCtx);
  if (adapted.status === "ignored") return allow(request);
  if (adapted.status === "invalid") {
    // Ours, but too broken to model (no name, spec not an object, …). The API server's
    // schema validation is the judge of well-formedness, not this webhook: admit it, say
    // why it was not checked, and let the CRD schema reject it if it must.
    return allow(request, limitWarnings(adapted.issues.map((issue) => issueWarning(issue, false))));
  }
  const subject = adapted.object;
  let oldSubject: ModelObject | undefined;
  if (request.operation === "UPDATE" && request.oldObject) {
    const old = adapt(withEnvelope(request.oldObject, request), adapterCtx);
    if (old.status === "adapted") oldSubject = old.object;
  }
  const undecided: string[] = [];
  const findings = review(
    {
      subject,
      ...(oldSubject ? { oldSubject } : {}),
      operation: request.operation,
      mode: "admission",
      inventoryComplete: ctx.inventoryComplete,
      ...(ctx.now ? { now: ctx.now } : {}),
    },
    { config: ctx.config, inventory: ctx.inventory, onUndecided: (rule) => undecided.push(rule) },
  );
  const existing =
    oldSubject && ctx.config.admission.allowExistingViolations ? existingViolations(findings, oldSubject, ctx) : NONE_EXISTING;
  // What admission did with a violation the old object had already: warned.
  const answered = existing.size > 0 ? findings.map((f) => (existing.has(f) ? { ...f, action: "warn" as const } : f)) : findings;
  const denials = findings.filter((f) => f.action === "deny" && !existing.has(f));
  const warnings = limitWarnings([
    ...adapted.issues.map((issue) => issueWarning(issue, true)),
    ...findings.filter((f) => existing.has(f)).map(existingViolationLine),
    ...findings.filter((f) => f.action === "warn").map(warningLine),
  ]);
  if (denials.length > 0) {
    return {
      review: respond(request, false, {
        status: { code: 403, reason: "Forbidden", message: denyMessage(describeRef(subject.ref), denials) },
        ...(warnings.length > 0 ? { warnings } : {}),
      }),
      decision: "denied",
      findings: answered,
      subject,
      ...(undecided.length > 0 ? { undecided } : {}),
    };
  }
  return { ...allow(request, warnings), findings: answered, subject, ...(undecided.length > 0 ? { undecided } : {}) };
}

const NONE_EXISTING: ReadonlySet<Finding> = new Set();

/** A violation's identity across the old and the new object: rule, object and field path. */
const violationKey = (f: Finding): string => `${f.rule}\u0000${describeRef(f.resource)}\u0000${f.path}`;

/**
 * The deny findings of an UPDATE that the stored object had already: same rule, object and
 * field path, at deny. Reviewed only when the new object has deny findings, and without the
 * admission-only rules (no operation): those judge the change itself, never the state.
 * Findings that stand for others ("… and K more", "not checked") name no violation of their
 * own, so they are never spared: a rule over its finding cap or a review over its work limit
 * is judged as for a new object.
 */
function existingViolations(findings: readonly Finding[], oldSubject: ModelObject, ctx: AdmissionContext): ReadonlySet<Finding> {
  const spareable = (f: Finding) => f.action === "deny" && !isStandIn(f);
  if (!findings.some(spareable)) return NONE_EXISTING;
  const before = review(
    { subject: oldSubject, mode: "admission", inventoryComplete: ctx.inventoryComplete, ...(ctx.now ? { now: ctx.now } : {}) },
    { config: ctx.config, inventory: ctx.inventory },
  );
  const deniedBefore = new Set(before.filter(spareable).map(violationKey));
  return new Set(findings.filter((f) => spareable(f) && deniedBefore.has(violationKey(f))));
}

/** The warning for a deny finding admitted because the object violated it before the update. */
function existingViolationLine(finding: Finding): string {
  return shortLine(`[${finding.rule}] not blocked, violated before this update: ${locatedMessage(finding)}`);
}
