/**
 * `--output text`: for a person at a terminal. Input errors first, then findings grouped by
 * file and resource, then one summary line.
 */
import type { Finding } from "../../core/model/findings.js";
import type { CheckReport, InputError, ReportedFinding } from "../../core/model/report.js";

export interface TextOptions {
  /** ANSI colours; main.ts passes `process.stdout.isTTY && !NO_COLOR`. */
  color: boolean;
}

type Action = Finding["action"];
type Style = "red" | "yellow" | "cyan" | "dim" | "bold";

const ANSI_CODES: Record<Style, [open: number, close: number]> = {
  red: [31, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

const ACTION_STYLE: Record<Action, Style> = { deny: "red", warn: "yellow", audit: "cyan" };
const ACTION_RANK: Record<Action, number> = { deny: 0, warn: 1, audit: 2 };
const LABEL_WIDTH = "AUDIT".length;
const FINDING_INDENT = "  ";
const DETAIL_INDENT = " ".repeat(FINDING_INDENT.length + LABEL_WIDTH + 2);

export function renderText(report: CheckReport, opts: TextOptions): string {
  const paint = (style: Style, text: string): string => {
    if (!opts.color) return text;
    const [open, close] = ANSI_CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
  const blocks: string[] = [];

  if (report.errors.length > 0) {
    blocks.push(report.errors.map((error) => paint("red", errorLine(error))).join("\n"));
  }
  for (const group of groupByResource(report.findings)) {
    const lines = [paint("bold", resourceHeading(group.first))];
    for (const finding of group.findings) {
      const label = finding.action.toUpperCase().padEnd(LABEL_WIDTH);
      lines.push(`${FINDING_INDENT}${paint(ACTION_STYLE[finding.action], label)}  ${finding.rule}  ${printable(finding.message)}`);
      lines.push(paint("dim", `${DETAIL_INDENT}fix: ${printable(finding.fix)}`));
      lines.push(paint("dim", `${DETAIL_INDENT}at: ${printable(finding.path)}`));
      lines.push(paint("dim", `${DETAIL_INDENT}guide: ${printable(finding.guide)}`));
    }
    blocks.push(lines.join("\n"));
  }
  blocks.push(summaryLine(report));
  return `${blocks.join("\n\n")}\n`;
}

function errorLine(error: InputError): string {
  const location = error.line === null ? displayFile(error.file) : `${displayFile(error.file)}:${error.line}`;
  return `${location}: ${printable(error.message)}`;
}

function resourceHeading(finding: ReportedFinding): string {
  const { kind, namespace, name } = finding.resource;
  const identity = namespace === null ? name : `${namespace}/${name}`;
  const heading = `${printable(kind)} ${printable(identity)}`;
  if (finding.file === undefined) return heading;
  const location = finding.line === undefined ? displayFile(finding.file) : `${displayFile(finding.file)}:${finding.line}`;
  return `${heading} (${location})`;
}

function summaryLine(report: CheckReport): string {
  const { resources, deny, warn, audit } = report.summary;
  const parts = [`${deny} deny`, `${warn} warn`, `${audit} audit`];
  const errorCount = report.errors.length;
  if (errorCount > 0) parts.push(`${errorCount} input ${errorCount === 1 ? "error" : "errors"}`);
  return `${resources} ${resources === 1 ? "resource" : "resources"} checked: ${parts.join(", ")}`;
}

interface ResourceGroup {
  first: ReportedFinding;
  file: string | undefined;
  line: number | undefined;
  order: number;
  findings: ReportedFinding[];
}

/** Files in the order they first appear, resources by line inside a file, deny first. */
function groupByResource(findings: ReportedFinding[]): ResourceGroup[] {
  const groups = new Map<string, ResourceGroup>();
  const fileOrder = new Map<string | undefined, number>();
  for (const finding of findings) {
    const { apiVersion, kind, namespace, name } = finding.resource;
    const key = JSON.stringify([finding.file, finding.line, apiVersion, kind, namespace, name]);
    if (!fileOrder.has(finding.file)) fileOrder.set(finding.file, fileOrder.size);
    let group = groups.get(key);
    if (group === undefined) {
      group = { first: finding, file: finding.file, line: finding.line, order: groups.size, findings: [] };
      groups.set(key, group);
    }
    group.findings.push(finding);
  }
  const sorted = [...groups.values()].sort(
    (a, b) =>
      (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) ||
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      a.order - b.order,
  );
  for (const group of sorted) group.findings.sort((a, b) => ACTION_RANK[a.action] - ACTION_RANK[b.action]);
  return sorted;
}

function displayFile(file: string): string {
  return file === "-" ? "<stdin>" : printable(file);
}

/**
 * Names and messages carry text from the manifests; control characters in them could move
 * the cursor or recolour the terminal, so they are shown escaped.
 */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
