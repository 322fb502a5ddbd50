// The alert rules (deploy/prometheus-rules.yaml, = the chart's PrometheusRule) and the
// Grafana dashboard: every query parses with Prometheus' own parser and selects only
// metrics the code registers.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { describeIntegration, repoRoot } from "../harness/control-plane.js";
import { checkPromql, chartDir, deployDir, registeredMetricNames, type PromqlResult } from "./render.js";

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface DashboardPanel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: DashboardPanel[];
}

const alertRules = (): AlertRule[] => {
  const file = parseYaml(readFileSync(path.join(deployDir, "prometheus-rules.yaml"), "utf8")) as {
    groups: Array<{ name: string; rules: AlertRule[] }>;
  };
  return file.groups.flatMap((group) => group.rules);
};

const dashboardPanels = (): DashboardPanel[] => {
  const dashboard = JSON.parse(readFileSync(path.join(chartDir, "dashboards/s3-vpce-guard.json"), "utf8")) as { panels: DashboardPanel[] };
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
};

/** Grafana's interval variables are not PromQL: give them a value before parsing. */
const withGrafanaVariables = (expr: string): string =>
  expr.replaceAll("$__rate_interval", "5m").replaceAll("$__interval", "1m").replaceAll("$__range", "1h");

/** Markdown heading anchors as GitHub makes them. */
const runbookAnchors = (): Set<string> => {
  const text = readFileSync(path.join(repoRoot, "docs/runbook.md"), "utf8");
  return new Set(
    [...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      (m[1] ?? "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, "")
        .replace(/\s/g, "-"),
    ),
  );
};

const unknownMetrics = (results: PromqlResult[], registered: Set<string>): string[] =>
  results.flatMap((r) => r.metrics.filter((name) => !registered.has(name)).map((name) => `${name} in ${r.expr}`));

describeIntegration(
  "alert rules and dashboard queries",
  () => {
    let registered: Set<string>;
    beforeAll(async () => {
      registered = await registeredMetricNames();
    });

    it("promql-check reports parse errors and the metrics an expression selects", () => {
      const [good, bad, nameless] = checkPromql([
        'sum(rate(s3_vpce_guard_admission_requests_total{decision="error"}[5m])) / sum(rate(s3_vpce_guard_admission_requests_total[5m]))',
        "sum(rate(s3_vpce_guard_leader[5m])",
        '{job="x"}',
      ]);
      expect(good).toEqual({ expr: expect.any(String), metrics: ["s3_vpce_guard_admission_requests_total"] });
      expect(bad?.error).toMatch(/parse error/);
      expect(nameless?.metrics).toEqual(["{...}"]);
      expect(unknownMetrics([good as PromqlResult], new Set(["other"]))).toHaveLength(1);
    });

    it("has the six alerts, each with severity, summary, description and a runbook link", () => {
      const rules = alertRules();
      expect(rules.map((r) => r.alert)).toEqual([
        "S3VpceGuardDenyViolations",
        "S3VpceGuardAuditStale",
        "S3VpceGuardWebhookErrors",
        "S3VpceGuardAwsErrors",
        "S3VpceGuardNoLeader",
        "S3VpceGuardKubeWriteErrors",
      ]);
      const anchors = runbookAnchors();
      for (const rule of rules) {
        expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels.severity);
        expect(rule.annotations.summary, rule.alert).toBeTruthy();
        expect(rule.annotations.description, rule.alert).toBeTruthy();
        const url = rule.annotations.runbook_url ?? "";
        expect(url, rule.alert).toMatch(/\/docs\/runbook\.md#[a-z0-9-]+$/);
        expect(anchors, `docs/runbook.md has no heading for ${url}`).toContain(url.slice(url.indexOf("#") + 1));
      }
    });

    it("alert expressions state what the SPEC asks for", () => {
      const byName = new Map(alertRules().map((r) => [r.alert, r]));
      expect(byName.get("S3VpceGuardDenyViolations")).toMatchObject({
        for: "15m",
        expr: expect.stringContaining('s3_vpce_guard_violations{action="deny"}'),
      });
      expect(byName.get("S3VpceGuardAuditStale")?.expr).toMatch(
        /time\(\) - max\(s3_vpce_guard_audit_last_success_timestamp_seconds\) > 3 \* 300$/,
      );
      expect(byName.get("S3VpceGuardWebhookErrors")).toMatchObject({
        for: "10m",
        expr: expect.stringMatching(/decision="error".*> 0\.01$/s),
      });
      expect(byName.get("S3VpceGuardAwsErrors")?.expr).toContain('s3_vpce_guard_aws_requests_total{outcome!="success"}');
      expect(byName.get("S3VpceGuardNoLeader")).toMatchObject({
        for: "5m",
        expr: "max(s3_vpce_guard_leader) < 1 or absent(s3_vpce_guard_leader)",
      });
      expect(byName.get("S3VpceGuardKubeWriteErrors")).toMatchObject({
        for: "15m",
        expr: expect.stringContaining("rate(s3_vpce_guard_kube_write_errors_total[10m])"),
      });
    });

    it("alert expressions parse and select only registered metrics", () => {
      const results = checkPromql(alertRules().map((r) => r.expr));
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(unknownMetrics(results, registered)).toEqual([]);
      expect(new Set(results.flatMap((r) => r.metrics))).toEqual(
        new Set([
          "s3_vpce_guard_violations",
          "s3_vpce_guard_audit_last_success_timestamp_seconds",
          "s3_vpce_guard_admission_requests_total",
          "s3_vpce_guard_aws_requests_total",
          "s3_vpce_guard_leader",
          "s3_vpce_guard_kube_write_errors_total",
        ]),
      );
    });

    it("dashboard queries parse and select only registered metrics", () => {
      const expressions = dashboardPanels().flatMap((panel) => (panel.targets ?? []).map((t) => withGrafanaVariables(t.expr)));
      expect(expressions.length).toBeGreaterThan(10);
      const results = checkPromql(expressions);
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(unknownMetrics(results, registered)).toEqual([]);
    });

    it("dashboard shows violations, admission rate, latency, decisions, audit, watches, inventory and AWS", () => {
      const used = new Set(
        checkPromql(dashboardPanels().flatMap((p) => (p.targets ?? []).map((t) => withGrafanaVariables(t.expr)))).flatMap((r) => r.metrics),
      );
      for (const metric of [
        "s3_vpce_guard_violations",
        "s3_vpce_guard_admission_requests_total",
        "s3_vpce_guard_admission_duration_seconds_bucket",
        "s3_vpce_guard_admission_findings_total",
        "s3_vpce_guard_audit_duration_seconds_bucket",
        "s3_vpce_guard_audit_last_success_timestamp_seconds",
        "s3_vpce_guard_watch_restarts_total",
        "s3_vpce_guard_inventory_resources",
        "s3_vpce_guard_aws_requests_total",
        "s3_vpce_guard_leader",
      ]) {
        expect(used, metric).toContain(metric);
      }
      const byTitle = new Map(dashboardPanels().map((p) => [p.title, p]));
      expect(byTitle.get("Violations by rule")?.targets?.[0]?.expr).toMatch(/sum by \(rule, action\)/);
      expect(byTitle.get("Violations by namespace")?.targets?.[0]?.expr).toMatch(/sum by \(namespace\)/);
      expect(byTitle.get("Admission requests by decision")?.targets?.[0]?.expr).toMatch(/sum by \(decision\)/);
      expect(byTitle.get("Admission latency")?.targets?.map((t) => /^histogram_quantile\((0\.\d+),/.exec(t.expr)?.[1])).toEqual([
        "0.5",
        "0.9",
        "0.99",
      ]);
    });
  },
  ["promql-check"],
);
