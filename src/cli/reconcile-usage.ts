import { LEASE_ARG_OPTIONS, LEASE_USAGE } from "./lifecycle.js";

/** `reconcile`'s flags (parsed in reconcile.ts; main.ts checks names against them before loading it). */
export const RECONCILE_OPTIONS = {
  config: { type: "string", short: "c" },
  "metrics-port": { type: "string", default: "9090" },
  "health-port": { type: "string", default: "8081" },
  host: { type: "string", default: "0.0.0.0" },
  ...LEASE_ARG_OPTIONS,
} as const;

export const RECONCILE_USAGE = `  s3-vpce-guard reconcile [--config F] [--metrics-port 9090] [--health-port 8081]
                          ${LEASE_USAGE}
      Audit the cluster continuously into PolicyReports, Events and metrics (no webhook).
`;

export const RECONCILE_EXAMPLES = `Examples:
  # Audit the cluster of the current kubeconfig context, one replica
  s3-vpce-guard reconcile --no-leader-election --metrics-port 9090 --health-port 8081

A cluster configuration comes from the in-cluster service account, $KUBECONFIG or ~/.kube/config;
without one, reconcile exits 2 (serve --no-kube runs admission without a cluster).
`;
