/**
 * `--output sarif`: SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, Azure DevOps,
 * VS Code SARIF viewer). One run; input errors become tool execution notifications.
 */
import { sha256Hex } from "../../core/util/sha256.js";
import type { RuleAction, RuleId } from "../../core/model/findings.js";
import type { CheckReport, InputError, ReportedFinding } from "../../core/model/report.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";
export const SARIF_TOOL_NAME = "s3-vpce-guard";

export interface SarifRuleDescriptor {
  id: RuleId;
  defaultAction: RuleAction;
  /** One line: what the rule catches. */
  description: string;
  /** The guide section the rule comes from. */
  guide: string;
  fix?: string;
}

export interface SarifOptions {
  toolVersion: string;
  rules: SarifRuleDescriptor[];
  /** The project's home page, shown by code-scanning UIs; omitted when not given. */
  informationUri?: string;
  /** A file's URI as code-scanning UIs read it (src/platform/util/file-uri.ts: relative to the working directory). */
  artifactUri: (file: string) => string;
}

type SarifLevel = "error" | "warning" | "note" | "none";

const LEVEL_BY_ACTION: Record<RuleAction, SarifLevel> = {
  deny: "error",
  warn: "warning",
  audit: "note",
  off: "none",
};

/** GitHub code scanning ranks security alerts by this property (CVSS-like, 0–10). */
const SECURITY_SEVERITY_BY_ACTION: Record<RuleAction, string> = {
  deny: "8.0",
  warn: "5.0",
  audit: "2.0",
  off: "0.0",
};

export function renderSarif(report: CheckReport, opts: SarifOptions): string {
  const ruleIndex = new Map(opts.rules.map((rule, index) => [rule.id, index]));
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: SARIF_TOOL_NAME,
            ...(opts.informationUri === undefined ? {} : { informationUri: opts.informationUri }),
            version: opts.toolVersion,
            rules: opts.rules.map(sarifRule),
          },
        },
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((error) => sarifNotification(error, opts.artifactUri)),
          },
        ],
        results: report.findings.map((finding) => sarifResult(finding, ruleIndex.get(finding.rule), opts.artifactUri)),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function sarifRule(rule: SarifRuleDescriptor) {
  const help = rule.fix === undefined ? `Guide: ${rule.guide}.` : `Guide: ${rule.guide}. Fix: ${rule.fix}`;
  return {
    id: rule.id,
    shortDescription: { text: rule.description },
    fullDescription: { text: `${rule.description} (guide section: ${rule.guide})` },
    help: { text: help },
    defaultConfiguration: { enabled: rule.defaultAction !== "off", level: LEVEL_BY_ACTION[rule.defaultAction] },
    properties: {
      tags: ["security", "aws", "s3"],
      "security-severity": SECURITY_SEVERITY_BY_ACTION[rule.defaultAction],
    },
  };
}

function sarifResult(finding: ReportedFinding, ruleIndex: number | undefined, toUri: (file: string) => string) {
  const { resource } = finding;
  const qualifiedName =
    resource.namespace === null ? `${resource.kind}/${resource.name}` : `${resource.kind}/${resource.namespace}/${resource.name}`;
  return {
    ruleId: finding.rule,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: LEVEL_BY_ACTION[finding.action],
    message: { text: `${finding.message} Fix: ${finding.fix}` },
    locations: [
      {
        ...physicalLocation(finding.file, finding.line, toUri),
        logicalLocations: [{ name: resource.name, fullyQualifiedName: qualifiedName, kind: "resource" }],
      },
    ],
    // Line numbers move as files are edited; this identifies the same problem across commits.
    partialFingerprints: {
      "s3VpceGuardFinding/v1": fingerprint([finding.rule, resource.apiVersion, qualifiedName, finding.path]),
    },
    properties: {
      path: finding.path,
      guide: finding.guide,
      resource: {
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        namespace: resource.namespace,
        name: resource.name,
      },
    },
  };
}

function sarifNotification(error: InputError, toUri: (file: string) => string) {
  return {
    level: "error",
    message: { text: error.message },
    locations: [physicalLocation(error.file, error.line, toUri)],
  };
}

function physicalLocation(file: string | undefined, line: number | null | undefined, toUri: (file: string) => string) {
  // "<cluster CONTEXT>": an error about the cluster, not about a file.
  if (file === undefined || /^<cluster .*>$/.test(file)) return {};
  const region = line === null || line === undefined ? {} : { region: { startLine: line } };
  return { physicalLocation: { artifactLocation: { uri: toUri(file) }, ...region } };
}

function fingerprint(parts: string[]): string {
  return sha256Hex(parts.join("\u0000")).slice(0, 32);
}
