// Registers ValidatingWebhookConfigurations that call a webhook by URL (no
// Service), as a test webhook listening on 127.0.0.1 needs.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  AdmissionregistrationV1Api,
  type KubeConfig,
  type V1LabelSelector,
  type V1RuleWithOperations,
  type V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { WATCHED_KINDS } from "../../src/core/model/kinds.js";
import { createCertificateAuthority, issueServingCert } from "./control-plane.js";

export interface UrlWebhook {
  /** Name of the ValidatingWebhookConfiguration (and, with ".s3vg.test" appended, of its one webhook). */
  name: string;
  /** https://127.0.0.1:<port>/<path> */
  url: string;
  /** PEM of the CA that signed the webhook's serving certificate. */
  caBundlePem: string;
  rules: V1RuleWithOperations[];
  failurePolicy?: "Fail" | "Ignore";
  timeoutSeconds?: number;
  namespaceSelector?: V1LabelSelector;
  objectSelector?: V1LabelSelector;
  matchPolicy?: "Exact" | "Equivalent";
}

/** Rules covering every kind we watch, every version, one rule per API group. */
export function watchedKindRules(operations: string[] = ["CREATE", "UPDATE", "DELETE"]): V1RuleWithOperations[] {
  const groups = new Map<string, Set<string>>();
  for (const k of WATCHED_KINDS) groups.set(k.group, (groups.get(k.group) ?? new Set()).add(k.plural));
  return [...groups].map(([group, plurals]) => ruleFor(group, ["*"], [...plurals], operations));
}

/** A rule for every resource of `group` in `versions`, for CREATE and UPDATE unless told. */
export function ruleFor(
  group: string,
  versions: string[],
  resources: string[],
  operations: string[] = ["CREATE", "UPDATE"],
): V1RuleWithOperations {
  return { apiGroups: [group], apiVersions: versions, resources, operations, scope: "*" };
}

export function validatingWebhookConfiguration(webhook: UrlWebhook): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: webhook.name },
    webhooks: [
      {
        name: `${webhook.name}.s3vg.test`,
        clientConfig: { url: webhook.url, caBundle: Buffer.from(webhook.caBundlePem).toString("base64") },
        rules: webhook.rules,
        failurePolicy: webhook.failurePolicy ?? "Fail",
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        timeoutSeconds: webhook.timeoutSeconds ?? 10,
        matchPolicy: webhook.matchPolicy ?? "Equivalent",
        ...(webhook.namespaceSelector ? { namespaceSelector: webhook.namespaceSelector } : {}),
        ...(webhook.objectSelector ? { objectSelector: webhook.objectSelector } : {}),
      },
    ],
  };
}

function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** Creates the configuration, or replaces the one of the same name. */
export async function registerValidatingWebhook(kubeConfig: KubeConfig, webhook: UrlWebhook): Promise<V1ValidatingWebhookConfiguration> {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const body = validatingWebhookConfiguration(webhook);
  try {
    return await api.createValidatingWebhookConfiguration({ body });
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
    const existing = await api.readValidatingWebhookConfiguration({ name: webhook.name });
    body.metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
    return api.replaceValidatingWebhookConfiguration({ name: webhook.name, body });
  }
}

export async function unregisterValidatingWebhook(kubeConfig: KubeConfig, name: string): Promise<void> {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  try {
    await api.deleteValidatingWebhookConfiguration({ name });
  } catch (error) {
    if (httpStatusOf(error) !== 404) throw error;
  }
}

/**
 * The API server picks up a new webhook configuration asynchronously (an
 * informer), so the first requests after registering may bypass it. Polls
 * `probe` (e.g. a dry-run create that the webhook must reject) until true.
 */
export async function waitForWebhook(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`webhook was not called by the API server within ${timeoutMs} ms: check its URL, caBundle and rules`);
}

export interface WebhookServingCert {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A fresh CA and a serving cert for 127.0.0.1 / localhost, for an HTTPS webhook in a test. */
export async function webhookServingCert(): Promise<WebhookServingCert> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "s3vg-webhook-pki-"));
  try {
    const caPem = await createCertificateAuthority(dir, "s3vg-webhook-test-ca");
    const { certPem, keyPem } = await issueServingCert(dir, "webhook", ["IP:127.0.0.1", "DNS:localhost"]);
    return { caPem, certPem, keyPem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
