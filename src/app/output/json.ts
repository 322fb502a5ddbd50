/**
 * `--output json`: the document README "CLI" shows, keys always in the same order so that output
 * diffs cleanly between runs.
 */
import type { CheckReport, ReportedFinding } from "../../core/model/report.js";

/** Standard input is named as in the text output. */
function displayFile(file: string): string {
  return file === "-" ? "<stdin>" : file;
}

export function renderJson(report: CheckReport): string {
  const document = {
    findings: report.findings.map(jsonFinding),
    errors: report.errors.map((error) => ({ file: displayFile(error.file), line: error.line, message: error.message })),
    summary: {
      resources: report.summary.resources,
      deny: report.summary.deny,
      warn: report.summary.warn,
      audit: report.summary.audit,
      errors: report.errors.length,
    },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function jsonFinding(finding: ReportedFinding) {
  return {
    rule: finding.rule,
    action: finding.action,
    message: finding.message,
    fix: finding.fix,
    guide: finding.guide,
    path: finding.path,
    resource: {
      apiVersion: finding.resource.apiVersion,
      kind: finding.resource.kind,
      namespace: finding.resource.namespace,
      name: finding.resource.name,
    },
    file: finding.file === undefined ? null : displayFile(finding.file),
    line: finding.line ?? null,
  };
}
