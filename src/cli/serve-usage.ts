import { LEASE_USAGE } from "./service-flags.js";

export const SERVE_USAGE = `  s3-vpce-guard serve --tls-cert F --tls-key F [--port 8443] [--metrics-port 9090] [--host 0.0.0.0] [--config F]
                          [--no-kube] [--no-reconciler] [--ready-without-sync] [--body-limit BYTES] [--time-budget-ms MS]
                          ${LEASE_USAGE}
      Admission webhook (POST /validate, /healthz, /readyz over HTTPS) and, with a cluster, the
      reconciler (leader-elected audit into PolicyReports, Events and metrics).
  s3-vpce-guard cert --out DIR [--dns NAME ...] [--days N]
      Write a self-signed CA and a serving certificate (ca.crt, tls.crt, tls.key).
`;
