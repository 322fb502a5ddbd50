import { existsSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * In a pod: the service account (in-cluster config). Elsewhere: $KUBECONFIG, then
 * ~/.kube/config. The error says which was tried and how to fix it.
 */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  const inCluster = Boolean(process.env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN);
  try {
    if (inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (error) {
    throw new Error(
      `cannot load a Kubernetes configuration (${inCluster ? "in-cluster service account" : "KUBECONFIG or ~/.kube/config"}): ${(error as Error).message}; set KUBECONFIG, or run with --no-kube`,
      { cause: error },
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new Error("the Kubernetes configuration has no current cluster; set KUBECONFIG or the current context, or run with --no-kube");
  }
  return kc;
}
