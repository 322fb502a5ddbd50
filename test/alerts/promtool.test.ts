// The alert rules under Prometheus' own tooling (scripts/prometheus/build.sh builds promtool
// from the module version promql-check uses): `promtool check rules` on the rule file and on
// the chart's PrometheusRule, and `promtool test rules` on one test file per alert
// (test/alerts/*.test.yaml): firing, just below the threshold, missing series, recovery.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describeIntegration, promtoolBinary, repoRoot } from "../harness/control-plane.js";
import { ALL_FEATURES, deployDir, findDoc, renderChart } from "../chart/render.js";
import { suiteTempDirs } from "../helpers/temp-dir.js";

const alertsDir = path.join(repoRoot, "test/alerts");
const rulesFile = path.join(deployDir, "prometheus-rules.yaml");

/** One test file per alert: S3VpceGuardNoLeader → no-leader.test.yaml. */
const ALERT_TEST_FILES: Record<string, string> = {
  S3VpceGuardDenyViolations: "deny-violations.test.yaml",
  S3VpceGuardAuditStale: "audit-stale.test.yaml",
  S3VpceGuardWebhookErrors: "webhook-errors.test.yaml",
  S3VpceGuardAwsErrors: "aws-errors.test.yaml",
  S3VpceGuardNoLeader: "no-leader.test.yaml",
  S3VpceGuardKubeWriteErrors: "kube-write-errors.test.yaml",
};
/** Runs against a chart rendering made by this test, not deploy/. */
const CHART_RENDERING_TESTS = {
  "hourly-audit.test.yaml": ["--set", "metrics.prometheusRule.enabled=true", "--set", "config.audit.interval=1h"],
};

interface RuleTestFile {
  rule_files: string[];
  tests: Array<{
    name: string;
    input_series: Array<{ series: string; values: string }>;
    alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }>;
  }>;
}

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtoolBinary(), args, { encoding: "utf8", cwd: repoRoot, timeout: 60_000 });
  if (result.error) throw new Error(`could not run ${promtoolBinary()}: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const ruleTestFiles = (): string[] =>
  readdirSync(alertsDir)
    .filter((f) => f.endsWith(".test.yaml"))
    .sort();
const readRuleTests = (file: string): RuleTestFile => parseYaml(readFileSync(path.join(alertsDir, file), "utf8")) as RuleTestFile;

/** The rule groups of the chart's PrometheusRule, as a Prometheus rule file. */
function chartRuleFile(args: string[], dir: string, name: string): string {
  const rule = findDoc(renderChart(args), "PrometheusRule") as { spec?: unknown };
  const file = path.join(dir, name);
  writeFileSync(file, stringifyYaml(rule.spec));
  return file;
}

describeIntegration(
  "alert rules under promtool",
  () => {
    it("promtool check rules accepts deploy/prometheus-rules.yaml: six alerts", () => {
      const { status, output } = promtool(["check", "rules", rulesFile]);
      expect(status, output).toBe(0);
      expect(output).toContain("SUCCESS: 6 rules found");
    });

    it("promtool check rules rejects a broken rule file (the check can fail)", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "s3vg-promtool-"));
      try {
        const broken = readFileSync(rulesFile, "utf8").replace("max(s3_vpce_guard_leader) < 1", "max(s3_vpce_guard_leader < 1");
        writeFileSync(path.join(dir, "broken.yaml"), broken);
        const { status, output } = promtool(["check", "rules", path.join(dir, "broken.yaml")]);
        expect(status).not.toBe(0);
        expect(output).toMatch(/S3VpceGuardNoLeader|parse error/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("every alert has a test file with at least one firing and one quiet case", () => {
      const alerts = (parseYaml(readFileSync(rulesFile, "utf8")) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap(
        (g) => g.rules.map((r) => r.alert),
      );
      expect(Object.keys(ALERT_TEST_FILES).sort()).toEqual([...alerts].sort());
      for (const [alert, file] of Object.entries(ALERT_TEST_FILES)) {
        const cases = readRuleTests(file)
          .tests.flatMap((t) => t.alert_rule_test ?? [])
          .filter((c) => c.alertname === alert);
        expect(cases.filter((c) => c.exp_alerts.length > 0).length, `${file}: a firing case of ${alert}`).toBeGreaterThan(0);
        expect(cases.filter((c) => c.exp_alerts.length === 0).length, `${file}: a quiet case of ${alert}`).toBeGreaterThan(0);
        expect(readRuleTests(file).rule_files, file).toEqual(["../../deploy/prometheus-rules.yaml"]);
      }
      expect(ruleTestFiles().sort()).toEqual([...Object.values(ALERT_TEST_FILES), ...Object.keys(CHART_RENDERING_TESTS)].sort());
    });

    for (const file of Object.values(ALERT_TEST_FILES)) {
      it(`promtool test rules test/alerts/${file}`, () => {
        const { status, output } = promtool(["test", "rules", path.join(alertsDir, file)]);
        expect(status, output).toBe(0);
        expect(output).toContain("SUCCESS");
      });
    }

    it("promtool test rules fails when an expected alert does not fire (the tests can fail)", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "s3vg-promtool-"));
      try {
        copyFileSync(rulesFile, path.join(dir, "rules.yaml"));
        const tests = readRuleTests(ALERT_TEST_FILES.S3VpceGuardNoLeader as string);
        tests.rule_files = ["rules.yaml"];
        // Both replicas lead all along: the "fires after 5 minutes" case must now fail.
        const firing = tests.tests[0];
        expect(firing?.name).toMatch(/^firing/);
        for (const series of firing?.input_series ?? []) series.values = "1x20";
        writeFileSync(path.join(dir, "no-leader.test.yaml"), stringifyYaml(tests));
        const { status, output } = promtool(["test", "rules", path.join(dir, "no-leader.test.yaml")]);
        expect(status).not.toBe(0);
        expect(output).toContain("S3VpceGuardNoLeader");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
  ["prometheus"],
);

describeIntegration(
  "the chart's PrometheusRule under promtool",
  () => {
    // Made in beforeAll: a skipped describe's body still runs while collecting.
    const tempDir = suiteTempDirs();
    let dir: string;
    beforeAll(() => {
      dir = tempDir("s3vg-promtool-chart-");
    });

    it("promtool check rules accepts the PrometheusRule spec with every feature on", () => {
      const file = chartRuleFile(ALL_FEATURES, dir, "all-features.yaml");
      const { status, output } = promtool(["check", "rules", file]);
      expect(status, output).toBe(0);
      expect(output).toContain("SUCCESS: 6 rules found");
    });

    for (const [testFile, args] of Object.entries(CHART_RENDERING_TESTS)) {
      it(`promtool test rules test/alerts/${testFile} (chart rendered with ${args.filter((a) => a !== "--set").join(" ")})`, () => {
        const rules = chartRuleFile(args, dir, readRuleTests(testFile).rule_files[0] as string);
        expect(promtool(["check", "rules", rules]).status).toBe(0);
        copyFileSync(path.join(alertsDir, testFile), path.join(dir, testFile));
        const { status, output } = promtool(["test", "rules", path.join(dir, testFile)]);
        expect(status, output).toBe(0);
      });
    }
  },
  ["prometheus", "helm"],
);
