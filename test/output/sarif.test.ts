import { readFileSync } from "node:fs";
import { artifactUri } from "../../src/platform/util/file-uri.js";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { renderSarif, type SarifOptions } from "../../src/app/output/sarif.js";
import { cleanReport, sampleReport, sampleRules } from "./sample-report.js";

/**
 * The SARIF 2.1.0 schema (see sarif-schema.NOTICE.md) is written in JSON Schema draft-04;
 * ajv 8 reads it as draft-07 once the draft-04 `id` becomes `$id` (the schema uses no
 * other draft-04-only keyword). Its `language` pattern has a stray `]` that is legal only
 * without the regular expression `u` flag, hence `unicodeRegExp: false`.
 */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(new URL("./sarif-schema-2.1.0-rtm.5.json", import.meta.url), "utf8"));
  const { $schema: _draft04, id, ...rest } = schema;
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat("uri", (value: string) => URL.canParse(value));
  ajv.addFormat("uri-reference", (value: string) => /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(value));
  ajv.addFormat("date-time", (value: string) => !Number.isNaN(Date.parse(value)));
  return ajv.compile({ $id: id, ...rest });
}

const validate = sarifValidator();
const options: SarifOptions = { toolVersion: "1.2.3", rules: sampleRules, artifactUri: (file: string) => artifactUri(file, "/repo") };

function sarifOf(report = sampleReport, opts = options) {
  return JSON.parse(renderSarif(report, opts));
}

describe("renderSarif", () => {
  it.each([
    ["findings and input errors", sampleReport],
    ["a clean run", cleanReport],
  ])("validates against the SARIF 2.1.0 schema: %s", (_name, report) => {
    const log = sarifOf(report);
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("is checked by a schema that rejects broken logs", () => {
    const log = sarifOf();
    log.runs[0].results[0].level = "fatal";
    log.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0;
    expect(validate(log)).toBe(false);
    expect(validate.errors?.length).toBeGreaterThanOrEqual(2);
  });

  it("describes the tool and every rule with its default level", () => {
    const log = sarifOf(sampleReport, { ...options, informationUri: "https://example.org/s3-vpce-guard" });
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: "s3-vpce-guard", version: "1.2.3", informationUri: "https://example.org/s3-vpce-guard" });
    expect(driver.rules.map((rule: { id: string }) => rule.id)).toEqual(sampleRules.map((rule) => rule.id));
    expect(driver.rules[0]).toMatchObject({
      shortDescription: { text: sampleRules[0]?.description },
      help: { text: "Guide: Using Amazon S3 bucket policies. Fix: Use aws:SourceVpce or aws:SourceVpc." },
      defaultConfiguration: { level: "error", enabled: true },
    });
    expect(driver.rules[0].fullDescription.text).toContain("Using Amazon S3 bucket policies");
    expect(driver.rules[1].defaultConfiguration.level).toBe("warning");
    expect(driver.rules[1].help.text).toBe("Guide: Restricting access to a specific bucket.");
    expect(driver.rules[3].defaultConfiguration).toEqual({ enabled: false, level: "none" });
    expect(sarifOf().runs[0].tool.driver).not.toHaveProperty("informationUri");
  });

  it("maps each finding to a result with rule, level, message + fix, file location and resource", () => {
    const [warn, deny, audit, piped] = sarifOf().runs[0].results;
    expect(deny).toMatchObject({
      ruleId: "source-ip-condition",
      ruleIndex: 0,
      level: "error",
      message: { text: `${sampleReport.findings[1]?.message} Fix: ${sampleReport.findings[1]?.fix}` },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: "manifests/team-a/bucket%20policy.yaml" }, region: { startLine: 12 } },
          logicalLocations: [{ name: "logs", fullyQualifiedName: "BucketPolicy/team-a/logs", kind: "resource" }],
        },
      ],
      properties: {
        path: 'spec.forProvider.policy → Statement[1].Condition.NotIpAddress["aws:SourceIp"]',
        guide: "Using Amazon S3 bucket policies",
        resource: { apiVersion: "s3.aws.m.upbound.io/v1beta1", kind: "BucketPolicy", namespace: "team-a", name: "logs" },
      },
    });
    expect(warn).toMatchObject({ ruleIndex: 1, level: "warning" });
    expect(warn.locations[0].logicalLocations[0].fullyQualifiedName).toBe("VPCEndpoint/s3-gateway");
    expect(audit).toMatchObject({ ruleIndex: 2, level: "note" });
    expect(piped.locations[0].physicalLocation.artifactLocation.uri).toBe("stdin");
  });

  it("fingerprints a finding by what it is, not where it is", () => {
    const results = sarifOf().runs[0].results;
    const moved = sarifOf({ ...sampleReport, findings: sampleReport.findings.map((f) => ({ ...f, line: (f.line ?? 0) + 40 })) }).runs[0]
      .results;
    expect(moved.map((r: { partialFingerprints: object }) => r.partialFingerprints)).toEqual(
      results.map((r: { partialFingerprints: object }) => r.partialFingerprints),
    );
    const ids = new Set(
      results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints["s3VpceGuardFinding/v1"]),
    );
    expect(ids.size).toBe(results.length);
  });

  it("reports input errors as failed-execution notifications", () => {
    const invocation = sarifOf().runs[0].invocations[0];
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications).toEqual([
      {
        level: "error",
        message: { text: "column 3: Map keys must be unique" },
        locations: [{ physicalLocation: { artifactLocation: { uri: "manifests/broken.yaml" }, region: { startLine: 4 } } }],
      },
      {
        level: "error",
        message: { text: "cannot read: ENOENT: no such file or directory" },
        locations: [{ physicalLocation: { artifactLocation: { uri: "manifests/missing.yaml" } } }],
      },
    ]);
    expect(sarifOf(cleanReport).runs[0].invocations[0]).toEqual({ executionSuccessful: true, toolExecutionNotifications: [] });
  });

  it("omits ruleIndex for a rule the descriptor list does not know", () => {
    const [result] = sarifOf(sampleReport, { ...options, rules: [] }).runs[0].results;
    expect(result).not.toHaveProperty("ruleIndex");
    expect(result.ruleId).toBe("endpoint-full-access");
  });

  it("ends with one newline", () => {
    expect(renderSarif(cleanReport, options).endsWith("}\n")).toBe(true);
  });
});

describe("artifactUri", () => {
  it.each([
    ["manifests/a.yaml", "manifests/a.yaml"],
    ["./manifests/../manifests/a.yaml", "manifests/a.yaml"],
    ["/repo/deep/a b#1.yaml", "deep/a%20b%231.yaml"],
    ["/elsewhere/a.yaml", "file:///elsewhere/a.yaml"],
    ["../sibling/a.yaml", "file:///sibling/a.yaml"],
    ["..hidden/a.yaml", "..hidden/a.yaml"],
    ["-", "stdin"],
  ])("%s → %s", (file, uri) => {
    expect(artifactUri(file, "/repo")).toBe(uri);
  });
});
