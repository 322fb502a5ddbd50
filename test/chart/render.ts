// Helpers for the chart tests: render charts/s3-vpce-guard with the helm that
// scripts/control-plane/build.sh builds, run promql-check, and list the metric names the
// code registers.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { helmBinary, promqlCheckBinary, repoRoot } from "../harness/control-plane.js";

export const chartDir = path.join(repoRoot, "charts/s3-vpce-guard");
export const deployDir = path.join(repoRoot, "deploy");
export const RELEASE = "s3-vpce-guard";
export const NAMESPACE = "s3-vpce-guard";

/** Every optional feature of the chart switched on, with a custom product config. */
export const ALL_FEATURES: string[] = [
  "--set",
  "certManager.enabled=true",
  "--set",
  "metrics.serviceMonitor.enabled=true",
  "--set",
  "metrics.prometheusRule.enabled=true",
  "--set",
  "grafanaDashboard.enabled=true",
  "--set-string",
  "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/s3-vpce-guard",
  "--set",
  "config.rules.ipv4-only.action=off",
  "--set",
  "config.rules.endpoint-full-access.action=deny",
  "--set",
  "config.awsFeatureLevel=current",
  "--set",
  "config.audit.interval=2m",
  "--set",
  "config.aws.enabled=true",
];

export interface KubeDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmResult {
  const result = spawnSync(helmBinary(), args, { encoding: "utf8", cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`could not run ${helmBinary()}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template` of the chart as release s3-vpce-guard in namespace s3-vpce-guard. */
export function helmTemplate(args: string[] = []): HelmResult {
  return helm(["template", RELEASE, chartDir, "--namespace", NAMESPACE, ...args]);
}

export function parseManifests(text: string, source = "manifest"): KubeDoc[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    if (document.errors.length > 0) throw new Error(`${source}: document ${index + 1} is not valid YAML: ${document.errors[0]?.message}`);
    const value = document.toJS() as KubeDoc | null;
    return value === null ? [] : [value];
  });
}

/** Renders the chart and parses the result; fails with helm's stderr when helm fails. */
export function renderChart(args: string[] = []): KubeDoc[] {
  const result = helmTemplate(args);
  if (result.status !== 0) throw new Error(`helm template ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr}`);
  return parseManifests(result.stdout, "helm template");
}

export function findDoc(docs: KubeDoc[], kind: string, name?: string): KubeDoc {
  const found = docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (!found)
    throw new Error(`no ${kind}${name ? ` named ${name}` : ""} among: ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(", ")}`);
  return found;
}

// ---------------------------------------------------------------------------
// promql-check (scripts/promql-check): same path rule as its build.sh.

export interface PromqlResult {
  expr: string;
  metrics: string[];
  error?: string;
}

/** Parses each expression with Prometheus' own parser (scripts/promql-check). */
export function checkPromql(expressions: string[]): PromqlResult[] {
  const result = spawnSync(promqlCheckBinary(), [], { input: JSON.stringify(expressions), encoding: "utf8" });
  if (result.error) throw new Error(`could not run promql-check: ${result.error.message}`);
  if (result.status !== 0 && result.status !== 1) throw new Error(`promql-check exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as PromqlResult[];
}

/**
 * Names a query may select: every metric of createMetrics() (with the default process
 * metrics), histograms as their _bucket, _sum and _count series.
 */
export async function registeredMetricNames(): Promise<Set<string>> {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  return new Set(
    metrics.flatMap((metric) =>
      String(metric.type) === "histogram" ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`] : [metric.name],
    ),
  );
}
