// The alerts firing for real: a Prometheus server (scripts/prometheus/build.sh, the module
// version promql-check uses) scrapes a real `serve` (child process, real kube-apiserver) every
// second and evaluates the chart's rules (deploy/prometheus-rules.yaml, = the chart's
// PrometheusRule), with every `for:` shortened to a few seconds in a test-only copy. Checked
// through Prometheus' /api/v1/alerts, as Alertmanager or an on-call engineer would see them:
//   S3VpceGuardDenyViolations goes pending, then firing, after a violating BucketPolicy is
//   created, and resolves once the policy is fixed;
//   S3VpceGuardNoLeader fires when the only replica stops;
//   nothing else fires meanwhile (the zero-initialised counters do not page on their own).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import {
  createCertificateAuthority,
  describeIntegration,
  freeLoopbackPort,
  issueServingCert,
  prometheusBinary,
  rawKubeRequest,
  repoRoot,
  spawnManaged,
  startControlPlane,
  writeKubeConfigFile,
  type ControlPlane,
  type ManagedProcess,
} from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { until } from "../harness/wait.js";
import { PRIVATE_SOURCE_IP_POLICY, upjetBucketPolicy } from "../helpers/manifests.js";

const cli = path.join(repoRoot, "dist/src/cli/main.js");
const SHORT_FOR = "3s";
const NAMESPACE = "team-a";
const RUNBOOK = "https://github.com/s3-vpce-guard/s3-vpce-guard/blob/main/docs/runbook.md";

interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing";
  activeAt: string;
}

interface RuleGroup {
  name: string;
  rules: Array<{ alert: string; for?: string; expr: string }>;
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function get(
  client: typeof http | typeof https,
  url: string,
  options: https.RequestOptions = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = client.get(url, { ...options, timeout: 5_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`${url}: no answer within 5 s`)));
    request.on("error", reject);
  });
}

/** deploy/prometheus-rules.yaml with every `for:` set to SHORT_FOR; expressions untouched. */
function shortenedRules(): { groups: RuleGroup[] } {
  const rules = parseYaml(readFileSync(path.join(repoRoot, "deploy/prometheus-rules.yaml"), "utf8")) as { groups: RuleGroup[] };
  for (const rule of rules.groups.flatMap((g) => g.rules)) rule.for = SHORT_FOR;
  return rules;
}

describeIntegration(
  "alerts fire in a real Prometheus scraping serve",
  () => {
    let controlPlane: ControlPlane;
    let work: string;
    let serve: ManagedProcess;
    let serveLog: string;
    let metricsPort: number;
    let prometheus: ManagedProcess;
    let prometheusUrl: string;
    const violating = upjetBucketPolicy({ name: "alerted", namespaced: true, namespace: NAMESPACE, policy: PRIVATE_SOURCE_IP_POLICY });

    const metrics = async (): Promise<string> => (await get(http, `http://127.0.0.1:${metricsPort}/metrics`)).body;
    const sample = (text: string, series: string): number | undefined => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const activeAlerts = async (): Promise<ActiveAlert[]> => {
      const reply = await get(http, `${prometheusUrl}/api/v1/alerts`);
      if (reply.status !== 200) throw new Error(`/api/v1/alerts answered HTTP ${reply.status}: ${reply.body}`);
      return (JSON.parse(reply.body) as { data: { alerts: ActiveAlert[] } }).data.alerts;
    };
    const alertNamed = async (name: string): Promise<ActiveAlert | undefined> =>
      (await activeAlerts()).find((a) => a.labels.alertname === name);
    const detail = () => `serve log:\n${logTail(serveLog)}\nprometheus log:\n${logTail(prometheus.logFile)}`;

    /** Polls /api/v1/alerts until `name` is in `state` (undefined: not active at all). */
    const waitForAlert = (name: string, state: ActiveAlert["state"] | undefined, timeoutMs = 60_000): Promise<number> =>
      until(`${name} to be ${state ?? "inactive"} in Prometheus`, async () => (await alertNamed(name))?.state === state, timeoutMs, detail);

    beforeAll(async () => {
      if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
      controlPlane = await startControlPlane();
      await installCrds(controlPlane.kubeConfig);
      const created = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "POST",
        path: "/api/v1/namespaces",
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
      });
      expect(created.statusCode, created.body).toBe(201);
      work = mkdtempSync(path.join(os.tmpdir(), "s3vg-alerts-live-"));
      const pki = path.join(work, "pki");
      await createCertificateAuthority(pki, "s3vg-alerts-ca");
      await issueServingCert(pki, "serve", ["IP:127.0.0.1", "DNS:localhost"]);
      const kubeconfig = writeKubeConfigFile(controlPlane, path.join(work, "kubeconfig"));

      // serve as the chart runs it: reconciler on, leader election on a Lease; the only replica.
      const port = await freeLoopbackPort();
      metricsPort = await freeLoopbackPort();
      serveLog = path.join(work, "serve.log");
      const serveArgs = ["serve", "--port", String(port), "--metrics-port", String(metricsPort), "--host", "127.0.0.1"];
      serveArgs.push(
        "--tls-cert",
        path.join(pki, "serve.crt"),
        "--tls-key",
        path.join(pki, "serve.key"),
        "--lease-name",
        "s3vg-alerts",
        "--lease-namespace",
        "kube-system",
        "--identity",
        "serve-0",
      );
      serve = spawnManaged(
        "serve",
        "env",
        [`KUBECONFIG=${kubeconfig}`, "POD_NAME=serve-0", "POD_NAMESPACE=kube-system", process.execPath, cli, ...serveArgs],
        serveLog,
      );
      await until(
        "serve to lead and complete its first audit",
        async () => {
          const text = await metrics();
          return (
            sample(text, "s3_vpce_guard_leader") === 1 && (sample(text, "s3_vpce_guard_audit_last_success_timestamp_seconds") ?? 0) > 0
          );
        },
        90_000,
        () => `serve log:\n${logTail(serveLog)}`,
      );

      writeFileSync(path.join(work, "rules.yaml"), stringifyYaml(shortenedRules()));
      writeFileSync(
        path.join(work, "prometheus.yml"),
        stringifyYaml({
          global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
          rule_files: ["rules.yaml"],
          scrape_configs: [{ job_name: "s3-vpce-guard", static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] }],
        }),
      );
      const prometheusPort = await freeLoopbackPort();
      prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
      prometheus = spawnManaged(
        "prometheus",
        prometheusBinary(),
        [
          `--config.file=${path.join(work, "prometheus.yml")}`,
          `--storage.tsdb.path=${path.join(work, "tsdb")}`,
          `--web.listen-address=127.0.0.1:${prometheusPort}`,
        ],
        path.join(work, "prometheus.log"),
      );
      await until(
        "Prometheus to be ready",
        async () => (await get(http, `${prometheusUrl}/-/ready`)).status === 200,
        60_000,
        () => logTail(prometheus.logFile),
      );
      await until(
        "Prometheus to have scraped serve",
        async () => {
          const reply = await get(http, `${prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="s3-vpce-guard"} == 1')}`);
          return (JSON.parse(reply.body) as { data: { result: unknown[] } }).data.result.length === 1;
        },
        30_000,
        detail,
      );
    }, 300_000);

    afterAll(async () => {
      await prometheus?.stop(5_000);
      await serve?.stop(5_000);
      await controlPlane?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("loads the six alerts with the shortened for:, and none is active while serve leads and the cluster is clean", async () => {
      const reply = await get(http, `${prometheusUrl}/api/v1/rules?type=alert`);
      const groups = (
        JSON.parse(reply.body) as { data: { groups: Array<{ rules: Array<{ name: string; duration: number; health: string }> }> } }
      ).data.groups;
      const rules = groups.flatMap((g) => g.rules);
      expect(rules.map((r) => r.name)).toEqual(shortenedRules().groups.flatMap((g) => g.rules.map((r) => r.alert)));
      expect(rules.every((r) => r.duration === 3)).toBe(true);
      // A few evaluations with real data: zero-initialised counters, leader 1, a fresh audit.
      await until(
        "every rule to be evaluated with ok health",
        async () => {
          const latest = (
            JSON.parse((await get(http, `${prometheusUrl}/api/v1/rules?type=alert`)).body) as { data: { groups: typeof groups } }
          ).data.groups.flatMap((g) => g.rules);
          return latest.every((r) => r.health === "ok");
        },
        30_000,
        detail,
      );
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(await activeAlerts()).toEqual([]);
    });

    it("S3VpceGuardDenyViolations goes pending, then firing, after a violating BucketPolicy is created, and resolves once it is fixed", async () => {
      const created = await rawKubeRequest(controlPlane.kubeConfig, { method: "POST", path: objectPath(violating), body: violating });
      expect(created.statusCode, created.body).toBe(201);

      await waitForAlert("S3VpceGuardDenyViolations", "pending");
      await waitForAlert("S3VpceGuardDenyViolations", "firing", 30_000);
      const firing = await alertNamed("S3VpceGuardDenyViolations");
      expect(firing?.labels).toEqual({
        alertname: "S3VpceGuardDenyViolations",
        severity: "warning",
        rule: "source-ip-condition",
        kind: "BucketPolicy",
        namespace: NAMESPACE,
      });
      expect(firing?.annotations.summary).toBe(
        `Deny-level S3 endpoint violations of source-ip-condition (BucketPolicy, namespace ${NAMESPACE})`,
      );
      expect(firing?.annotations.description).toContain(`The audit finds 1 BucketPolicy object(s) in namespace "${NAMESPACE}"`);
      expect(firing?.annotations.runbook_url).toBe(`${RUNBOOK}#s3vpceguarddenyviolations`);

      // The fix: the policy no longer grants by source IP.
      const fixed = {
        spec: {
          forProvider: {
            policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: "arn:aws:iam::123456789012:role/reader" },
                  Action: "s3:GetObject",
                  Resource: "arn:aws:s3:::my-secure-bucket/*",
                },
              ],
            }),
          },
        },
      };
      const patched = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "PATCH",
        path: objectPath(violating, violating.metadata.name),
        body: fixed,
        contentType: "application/merge-patch+json",
      });
      expect(patched.statusCode, patched.body).toBe(200);
      await waitForAlert("S3VpceGuardDenyViolations", undefined, 30_000);
      expect(await metrics()).not.toMatch(/^s3_vpce_guard_violations\{[^}]*action="deny"/m);
      expect(await activeAlerts()).toEqual([]);
    });

    it("S3VpceGuardNoLeader fires when the only replica stops", async () => {
      expect(await alertNamed("S3VpceGuardNoLeader")).toBeUndefined();
      await serve.stop(10_000);
      await waitForAlert("S3VpceGuardNoLeader", "pending", 30_000);
      await waitForAlert("S3VpceGuardNoLeader", "firing", 30_000);
      const alerts = await activeAlerts();
      expect(alerts.map((a) => a.labels.alertname)).toEqual(["S3VpceGuardNoLeader"]);
      expect(alerts[0]?.labels).toEqual({ alertname: "S3VpceGuardNoLeader", severity: "warning" });
      expect(alerts[0]?.annotations).toMatchObject({
        summary: "No s3-vpce-guard replica holds the leader lease",
        runbook_url: `${RUNBOOK}#s3vpceguardnoleader`,
      });
    });
  },
  ["control-plane", "prometheus"],
);
