import { LEASE_ARG_OPTIONS, LEASE_USAGE } from "./lifecycle.js";

/** `serve`'s flags (parsed in serve.ts; main.ts checks names against them before loading it). */
export const SERVE_OPTIONS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  port: { type: "string", default: "8443" },
  "metrics-port": { type: "string", default: "9090" },
  host: { type: "string", default: "0.0.0.0" },
  config: { type: "string", short: "c" },
  "no-kube": { type: "boolean", default: false },
  "no-reconciler": { type: "boolean", default: false },
  "ready-without-sync": { type: "boolean", default: false },
  "body-limit": { type: "string" },
  "time-budget-ms": { type: "string" },
  "shutdown-delay-ms": { type: "string" },
  ...LEASE_ARG_OPTIONS,
} as const;

export const SERVE_USAGE = `  s3-vpce-guard serve --tls-cert F --tls-key F [--port 8443] [--metrics-port 9090] [--host 0.0.0.0] [--config F]
                          [--no-kube] [--no-reconciler] [--ready-without-sync] [--body-limit BYTES] [--time-budget-ms MS]
                          [--shutdown-delay-ms MS] ${LEASE_USAGE}
      Admission webhook (POST /validate, /healthz, /readyz over HTTPS) and, with a cluster, the
      reconciler (leader-elected audit into PolicyReports, Events and metrics). On SIGTERM it
      answers (not ready) for --shutdown-delay-ms more, then finishes in-flight requests and exits.
`;

export const SERVE_EXAMPLES = `Examples:
  # Local trial without a cluster: a certificate pair, then admission only
  s3-vpce-guard cert --out /tmp/s3vg-tls
  s3-vpce-guard serve --tls-cert /tmp/s3vg-tls/tls.crt --tls-key /tmp/s3vg-tls/tls.key --no-kube

  # With the cluster of $KUBECONFIG (or the in-cluster config in a pod): webhook and reconciler
  s3-vpce-guard serve --tls-cert /tls/tls.crt --tls-key /tls/tls.key --config /config/config.yaml

A cluster configuration comes from the in-cluster service account, $KUBECONFIG or ~/.kube/config;
without one, serve exits 2 unless --no-kube is given.
`;

export const CERT_USAGE = `  s3-vpce-guard cert --out DIR [--dns NAME ...] [--days N]
      Write a self-signed CA and a serving certificate (ca.crt, tls.crt, tls.key).
`;

export const CERT_EXAMPLES = `Examples:
  s3-vpce-guard cert --out /tmp/s3vg-tls
  s3-vpce-guard cert --out tls --dns s3-vpce-guard.s3-vpce-guard.svc --days 90
`;
