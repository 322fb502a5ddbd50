import { LEASE_USAGE } from "./service-flags.js";

export const RECONCILE_USAGE = `  s3-vpce-guard reconcile [--config F] [--metrics-port 9090] [--health-port 8081]
                          ${LEASE_USAGE}
      Audit the cluster continuously into PolicyReports, Events and metrics (no webhook).
`;
