import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface KubeConfigOptions {
  /** `--context`: a context of the kubeconfig instead of its current one. */
  context?: string | undefined;
  /** Appended to every error: how this command runs without a cluster (serve: "--no-kube"). */
  withoutCluster?: string;
}

/** Every error of loadKubeConfig: one line saying what was tried and how to fix it. */
export class KubeConfigError extends Error {
  override name = "KubeConfigError";
}

/**
 * In a pod: the service account (in-cluster config). Elsewhere: $KUBECONFIG, then
 * ~/.kube/config. Refuses what client-node would otherwise turn into an endless retry loop:
 * no configuration at all (it falls back to http://localhost) or a plain-HTTP server.
 */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  const inCluster = Boolean(process.env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN);
  const kubeconfigEnv = process.env.KUBECONFIG ?? "";
  const defaultFile = join(homedir(), ".kube", "config");
  const fix = (what: string) => `${what}${options.withoutCluster ? `, or ${options.withoutCluster}` : ""}`;
  const source = inCluster ? "in-cluster config (service account)" : kubeconfigEnv !== "" ? `KUBECONFIG=${kubeconfigEnv}` : defaultFile;
  if (!inCluster && kubeconfigEnv === "" && !existsSync(defaultFile)) {
    throw new KubeConfigError(
      fix(
        `no Kubernetes configuration: KUBECONFIG is not set, ${defaultFile} does not exist, and there is no in-cluster config (not in a pod); set KUBECONFIG to a kubeconfig file, run in a pod with a service account`,
      ),
    );
  }
  try {
    if (inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (error) {
    const reason = ((error as Error).message.split("\n")[0] ?? "").slice(0, 300);
    throw new KubeConfigError(
      fix(`cannot load the Kubernetes configuration from ${source}: ${reason}; fix KUBECONFIG or use the in-cluster config`),
      { cause: error },
    );
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `--context ${options.context}: no such context in ${source}; it has ${known.length > 0 ? known.join(", ") : "none"}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(
      fix(
        `the Kubernetes configuration in ${source} has no current cluster; set its current-context (kubectl config use-context) or point KUBECONFIG at another file`,
      ),
    );
  }
  if (cluster.server.startsWith("http://") && !cluster.skipTLSVerify) {
    throw new KubeConfigError(
      fix(
        `the cluster "${cluster.name}" in ${source} has a plain-HTTP server (${cluster.server}), which the Kubernetes client refuses; use its https:// address`,
      ),
    );
  }
  return kc;
}
