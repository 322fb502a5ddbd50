/**
 * `--output json`: the document README "CLI" shows, keys always in the same order so that output
 * diffs cleanly between runs.
 */
import type { CheckReport, InputError, ReportedFinding } from "../../core/model/report.js";

/** Standard input is named as in the text output. */
function displayFile(file: string): string {
  return file === "-" ? "<stdin>" : file;
}

export function renderJson(report: CheckReport): string {
  return [...renderJsonChunks(report)].join("");
}

/**
 * The same text as renderJson, a finding or an error at a time: a large check never holds a
 * copy of every finding and the whole document as one string at once (the document of 50k
 * resources is ten megabytes). Each piece is what JSON.stringify(document, null, 2) writes
 * for that array entry; its line breaks are indented to the entry's depth, which is safe
 * because JSON.stringify escapes every line break inside a string.
 */
export function* renderJsonChunks(report: CheckReport): Generator<string> {
  yield '{\n  "findings": ';
  yield* arrayChunks(report.findings, jsonFinding);
  yield ',\n  "errors": ';
  yield* arrayChunks(report.errors, jsonError);
  const summary = {
    resources: report.summary.resources,
    deny: report.summary.deny,
    warn: report.summary.warn,
    audit: report.summary.audit,
    errors: report.errors.length,
  };
  yield `,\n  "summary": ${indented(summary)}\n}\n`;
}

/** An array one level inside the document, as JSON.stringify(…, null, 2) writes it there. */
function* arrayChunks<T>(items: readonly T[], toJson: (item: T) => object): Generator<string> {
  if (items.length === 0) {
    yield "[]";
    return;
  }
  let separator = "[\n    ";
  for (const item of items) {
    yield separator + indented(toJson(item), "\n    ");
    separator = ",\n    ";
  }
  yield "\n  ]";
}

/** `value` pretty-printed with two spaces, each line after the first starting at `depth`. */
function indented(value: object, depth = "\n  "): string {
  return JSON.stringify(value, null, 2).replaceAll("\n", depth);
}

function jsonError(error: InputError) {
  return { file: displayFile(error.file), line: error.line, message: error.message };
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
