/**
 * What `explain` and `map` read before they answer: the config, the input files and, with
 * --cluster, the watched kinds of the live cluster (read-only, as `check --cluster` lists them).
 */
import { loadConfigFile } from "./config/config-file.js";
import { defaultConfig, type Config } from "./config/schema.js";
import { loadInputs } from "./input-files.js";

export interface ExplainInputOptions {
  config?: string | undefined;
  cluster?: boolean | undefined;
  context?: string | undefined;
}

export type ExplainInputs = { ok: true; config: Config; objects: unknown[] } | { ok: false; message: string };

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
  if (options.cluster) {
    const listed = await readCluster(options.context);
    if (typeof listed === "string") return { ok: false, message: listed };
    // A loop, not push(...listed): a large cluster would overflow the call stack.
    for (const object of listed) objects.push(object);
  }
  for (const document of loaded.documents) objects.push(document.object);
  return { ok: true, config, objects };
}

/** The watched kinds of the cluster (read-only), as check --cluster lists them. */
async function readCluster(context: string | undefined): Promise<unknown[] | string> {
  const { loadKubeConfig } = await import("../platform/kube/kubeconfig.js");
  const { listCluster } = await import("../platform/kube/cluster-list.js");
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig({ context });
  } catch (error) {
    return `--cluster: ${(error as Error).message}`;
  }
  try {
    const listing = await listCluster({ kubeConfig, namespace: undefined });
    if (listing.failures.length > 0) return `--cluster: ${listing.failures.map((f) => f.message).join("; ")}`;
    return listing.objects;
  } catch (error) {
    const { reasonOf } = await import("../platform/kube/informer.js");
    return `--cluster: cannot read the API of ${kubeConfig.getCurrentCluster()?.server ?? "the cluster"} (context ${kubeConfig.getCurrentContext()}): ${reasonOf(error)}`;
  }
}
