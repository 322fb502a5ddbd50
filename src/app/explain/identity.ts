/**
 * Identity (IAM) policies of one role, read from Crossplane Upjet and ACK IAM manifests, for
 * `explain` only: these kinds are not watched, so `check`, the webhook and the reconciler
 * never see them. Pure: raw objects in, parsed policies out.
 *
 * Fields read (README "explain"):
 * - Upjet `iam.aws.upbound.io` Role: metadata.name / crossplane.io/external-name (role name),
 *   status.atProvider.arn, spec.forProvider.inlinePolicy[].policy, spec.forProvider.managedPolicyArns[].
 * - Upjet RolePolicy: spec.forProvider.role | roleRef.name, spec.forProvider.policy.
 * - Upjet RolePolicyAttachment: spec.forProvider.role | roleRef.name, spec.forProvider.policyArn | policyArnRef.name.
 * - Upjet Policy: metadata.name / external-name, status.atProvider.arn, spec.forProvider.policy.
 * - ACK `iam.services.k8s.aws` Role: spec.name, status.ackResourceMetadata.arn, spec.inlinePolicies
 *   (name → JSON), spec.policies[] (ARNs), spec.policyRefs[].from.name.
 * - ACK Policy: spec.name, status.ackResourceMetadata.arn, spec.policyDocument.
 */

import { parseArn, parsePolicy } from "../../core/iam/index.js";
import type { PolicyField } from "../../core/model/types.js";
import { asRecord } from "../../core/util/record.js";

export interface IdentityPolicy {
  /** "Role default/app-reader" or a file name. */
  source: string;
  field: PolicyField;
}

export interface IdentityPolicies {
  /** The role's object was found in the inputs. */
  roleFound: boolean;
  policies: IdentityPolicy[];
  /** Attached policies the inputs do not hold (e.g. AWS managed policies): not evaluated. */
  missing: string[];
}

type Raw = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const UPJET = "iam.aws.upbound.io";
const ACK = "iam.services.k8s.aws";
const EXTERNAL_NAME = "crossplane.io/external-name";

const groupOf = (o: Raw) => (typeof o.apiVersion === "string" ? o.apiVersion.split("/")[0] : undefined);
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const obj = asRecord;
const list = (v: unknown) => (Array.isArray(v) ? (v as unknown[]) : []);

function label(o: Raw): string {
  const ns = str(o.metadata?.namespace);
  return `${String(o.kind)} ${ns ? `${ns}/` : ""}${String(o.metadata?.name)}`;
}

/** The AWS name of an IAM object: ACK spec.name, else the external name, else metadata.name. */
function awsName(o: Raw): string | undefined {
  if (groupOf(o) === ACK) return str(o.spec?.name) ?? str(o.metadata?.name);
  return str(o.metadata?.annotations?.[EXTERNAL_NAME]) ?? str(o.metadata?.name);
}

function arnOf(o: Raw): string | undefined {
  return groupOf(o) === ACK ? str(obj(o.status?.ackResourceMetadata)?.arn) : str(obj(o.status?.atProvider)?.arn);
}

function field(text: unknown, path: string): PolicyField | undefined {
  if (typeof text !== "string") return undefined;
  const parsed = parsePolicy(text, "endpoint");
  return { ...parsed, path, text };
}

/**
 * The IAM kinds `explain --cluster --principal` lists besides the watched ones (read-only;
 * a cluster that does not serve them just has none).
 */
export const IDENTITY_KINDS = [
  { group: UPJET, version: "v1beta1", kind: "Role", plural: "roles", namespaced: false },
  { group: UPJET, version: "v1beta1", kind: "Policy", plural: "policies", namespaced: false },
  { group: UPJET, version: "v1beta1", kind: "RolePolicy", plural: "rolepolicies", namespaced: false },
  { group: UPJET, version: "v1beta1", kind: "RolePolicyAttachment", plural: "rolepolicyattachments", namespaced: false },
  { group: ACK, version: "v1alpha1", kind: "Role", plural: "roles", namespaced: true },
  { group: ACK, version: "v1alpha1", kind: "Policy", plural: "policies", namespaced: true },
] as const;

/** Is the object an IAM kind this module reads? (Explain reads them; nothing else does.) */
export function isIdentityKind(o: unknown): boolean {
  const raw = o as Raw;
  const group = typeof raw === "object" && raw !== null ? groupOf(raw) : undefined;
  return (group === UPJET || group === ACK) && ["Role", "Policy", "RolePolicy", "RolePolicyAttachment"].includes(String(raw.kind));
}

/** Every identity policy of the role `roleArn` (arn:…:iam::ACCOUNT:role/[path/]NAME) in the inputs. */
export function identityPoliciesFor(roleArn: string, objects: readonly unknown[]): IdentityPolicies {
  const out: IdentityPolicies = { roleFound: false, policies: [], missing: [] };
  const arn = parseArn(roleArn);
  const roleName = arn?.resource.startsWith("role/") ? arn.resource.split("/").at(-1) : undefined;
  if (!roleName) return out;
  const raws = objects.filter(isIdentityKind) as Raw[];
  const ofKind = (kind: string) => raws.filter((o) => o.kind === kind);
  const isRole = (o: Raw) => arnOf(o) === roleArn || (arnOf(o) === undefined && awsName(o) === roleName);
  // Role objects are named by Kubernetes name in references, by AWS name in policies.
  const roles = ofKind("Role").filter(isRole);
  out.roleFound = roles.length > 0;
  const roleObjectNames = new Set(roles.map((r) => str(r.metadata?.name)));
  const attached: { arn?: string; objectName?: string; from: string }[] = [];
  for (const role of roles) {
    const spec = role.spec ?? {};
    if (groupOf(role) === UPJET) {
      const forProvider = obj(spec.forProvider) ?? {};
      list(forProvider.inlinePolicy).forEach((inline, i) => {
        const f = field(obj(inline)?.policy, `spec.forProvider.inlinePolicy[${i}].policy`);
        if (f) out.policies.push({ source: label(role), field: f });
      });
      list(forProvider.managedPolicyArns).forEach((a) => typeof a === "string" && attached.push({ arn: a, from: label(role) }));
    } else {
      for (const [name, text] of Object.entries(obj(spec.inlinePolicies) ?? {})) {
        const f = field(text, `spec.inlinePolicies.${name}`);
        if (f) out.policies.push({ source: label(role), field: f });
      }
      list(spec.policies).forEach((a) => typeof a === "string" && attached.push({ arn: a, from: label(role) }));
      list(spec.policyRefs).forEach((r) => {
        const name = str(obj(obj(r)?.from)?.name);
        if (name) attached.push({ objectName: name, from: label(role) });
      });
    }
  }
  const targetsRole = (forProvider: Record<string, unknown>) =>
    str(forProvider.role) === roleName ||
    (str(obj(forProvider.roleRef)?.name) !== undefined && roleObjectNames.has(str(obj(forProvider.roleRef)?.name)));
  for (const rp of ofKind("RolePolicy").filter((o) => groupOf(o) === UPJET)) {
    const forProvider = obj(rp.spec?.forProvider) ?? {};
    if (!targetsRole(forProvider)) continue;
    const f = field(forProvider.policy, "spec.forProvider.policy");
    if (f) out.policies.push({ source: label(rp), field: f });
  }
  for (const attachment of ofKind("RolePolicyAttachment").filter((o) => groupOf(o) === UPJET)) {
    const forProvider = obj(attachment.spec?.forProvider) ?? {};
    if (!targetsRole(forProvider)) continue;
    const policyArn = str(forProvider.policyArn);
    const objectName = str(obj(forProvider.policyArnRef)?.name);
    attached.push({ ...(policyArn ? { arn: policyArn } : {}), ...(objectName ? { objectName } : {}), from: label(attachment) });
  }
  const policies = ofKind("Policy");
  const seen = new Set<Raw>();
  for (const want of attached) {
    const found = policies.find((p) =>
      want.objectName !== undefined
        ? str(p.metadata?.name) === want.objectName
        : arnOf(p) === want.arn || (arnOf(p) === undefined && awsName(p) === want.arn?.split("/").at(-1)),
    );
    if (!found) {
      out.missing.push(`${want.arn ?? `Policy ${want.objectName}`} (attached by ${want.from})`);
      continue;
    }
    if (seen.has(found)) continue;
    seen.add(found);
    const path = groupOf(found) === ACK ? "spec.policyDocument" : "spec.forProvider.policy";
    const f = field(groupOf(found) === ACK ? found.spec?.policyDocument : obj(found.spec?.forProvider)?.policy, path);
    if (f) out.policies.push({ source: label(found), field: f });
    else out.missing.push(`${label(found)} (no ${path})`);
  }
  return out;
}
