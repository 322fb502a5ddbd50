/**
 * What `explain` and `map` read before they answer: the config, the input files and, with
 * --cluster, the watched kinds of the live cluster (read-only, as `check --cluster` lists them).
 */
import { WATCHED_KINDS } from "../core/adapters/index.js";
import { loadConfigFile } from "./config/config-file.js";
import { defaultConfig, type Config } from "../core/config.js";
import { IDENTITY_KINDS } from "../app/explain/identity.js";
import { loadInputs } from "./input-files.js";

export interface ExplainInputOptions {
  config?: string | undefined;
  cluster?: boolean | undefined;
  context?: string | undefined;
  /** --cluster also lists the IAM kinds (explain --principal reads the role's policies from them). */
  identity?: boolean | undefined;
}

/** warnings: what was read only in part (an IAM kind the kubeconfig may not list); the rest stands. */
export type ExplainInputs = { ok: true; config: Config; objects: unknown[]; warnings: string[] } | { ok: false; message: string };

export async function readExplainInputs(paths: string[], options: ExplainInputOptions): Promise<ExplainInputs> {
  let config: Config = defaultConfig();
  if (options.config) {
    const loaded = await loadConfigFile(options.config);
    if (!loaded.ok) return { ok: false, message: loaded.errors.join("; ") };
    config = loaded.config;
  }
  const loaded = paths.length > 0 ? await loadInputs(paths) : { documents: [], errors: [] };
  if (loaded.errors.length > 0) {
    return { ok: false, message: loaded.errors.map((e) => `${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`).join("\n") };
  }
  const objects: unknown[] = [];
  const warnings: string[] = [];
  if (options.cluster) {
    const listed = await readCluster(options.context, options.identity === true);
    if (typeof listed === "string") return { ok: false, message: listed };
    // A loop, not push(...listed): a large cluster would overflow the call stack.
    for (const object of listed.objects) objects.push(object);
    warnings.push(...listed.warnings);
  }
  for (const document of loaded.documents) objects.push(document.object);
  return { ok: true, config, objects, warnings };
}

const identityLabels = new Set<string>(IDENTITY_KINDS.map((k) => `${k.kind}.${k.group}`));

/**
 * The watched kinds of the cluster (read-only), as check --cluster lists them, and with
 * `identity` the IAM kinds. An IAM kind that cannot be listed is a warning: the endpoint and
 * bucket layers still stand, and the role's manifests can be given as files.
 */
async function readCluster(context: string | undefined, identity: boolean): Promise<{ objects: unknown[]; warnings: string[] } | string> {
  const { loadKubeConfig } = await import("../platform/kube/kubeconfig.js");
  const { listCluster } = await import("../platform/kube/cluster-list.js");
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig({ context });
  } catch (error) {
    return `--cluster: ${(error as Error).message}`;
  }
  try {
    const listing = await listCluster({
      kubeConfig,
      namespace: undefined,
      kinds: identity ? [...WATCHED_KINDS, ...IDENTITY_KINDS] : WATCHED_KINDS,
    });
    const fatal = listing.failures.filter((f) => !identityLabels.has(f.resource));
    if (fatal.length > 0) return `--cluster: ${fatal.map((f) => f.message).join("; ")}`;
    const warnings = listing.failures
      .filter((f) => identityLabels.has(f.resource))
      .map(
        (f) =>
          `--cluster: ${f.resource} not read${f.status !== undefined ? ` (HTTP ${f.status})` : ""}: identity policies in it are not evaluated; give the role's IAM manifests as files, or let the kubeconfig list ${f.resource}`,
      );
    return { objects: listing.objects, warnings };
  } catch (error) {
    const { reasonOf } = await import("../platform/kube/informer.js");
    return `--cluster: cannot read the API of ${kubeConfig.getCurrentCluster()?.server ?? "the cluster"} (context ${kubeConfig.getCurrentContext()}): ${reasonOf(error)}`;
  }
}

const S3_ACTION = /^s3:[A-Za-z0-9]+$/;

/** What `explain` and `map` both refuse before reading anything; undefined when the flags hold together. */
export function inputFlagsProblem(
  values: { cluster?: boolean | undefined; context?: string | undefined; action?: string[] | undefined },
  positionals: readonly string[],
): string | undefined {
  if (positionals.length === 0 && !values.cluster) return "give at least one file, directory, - for stdin, or --cluster";
  if (!values.cluster && values.context !== undefined) return "--context only applies with --cluster";
  const badAction = values.action?.find((a) => !S3_ACTION.test(a));
  if (badAction !== undefined) return `--action ${badAction}: expected one S3 action such as s3:GetObject (no wildcards)`;
  return undefined;
}

/** The S3 actions to ask about: --action, or the config's probe actions that are plain S3 actions. */
export function askedActions(action: string[] | undefined, config: Config): string[] {
  return action ?? config.probeActions.filter((a) => S3_ACTION.test(a));
}
