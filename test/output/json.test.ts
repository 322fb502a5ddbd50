import { describe, expect, it } from "vitest";
import { renderJson, renderJsonChunks } from "../../src/app/output/json.js";
import { cleanReport, denyFinding, sampleReport, warnFinding } from "./sample-report.js";

describe("renderJson", () => {
  it("prints exactly the SPEC shape, in a stable key order", () => {
    const parsed = JSON.parse(renderJson(sampleReport)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["findings", "errors", "summary"]);
    const findings = parsed.findings as Record<string, unknown>[];
    expect(findings).toHaveLength(4);
    for (const finding of findings) {
      expect(Object.keys(finding)).toEqual(["rule", "action", "message", "fix", "guide", "path", "resource", "file", "line"]);
      expect(Object.keys(finding.resource as object)).toEqual(["apiVersion", "kind", "namespace", "name"]);
    }
    for (const error of parsed.errors as object[]) expect(Object.keys(error)).toEqual(["file", "line", "message"]);
    expect(Object.keys(parsed.summary as object)).toEqual(["resources", "deny", "warn", "audit", "errors"]);
  });

  it("keeps the values, with null namespace for cluster-scoped objects and null line for whole-file errors", () => {
    const parsed = JSON.parse(renderJson(sampleReport));
    expect(parsed.findings[0]).toEqual({
      rule: "endpoint-full-access",
      action: "warn",
      message: warnFinding.message,
      fix: warnFinding.fix,
      guide: warnFinding.guide,
      path: "spec.forProvider.policy",
      resource: { apiVersion: "ec2.aws.upbound.io/v1beta2", kind: "VPCEndpoint", namespace: null, name: "s3-gateway" },
      file: "manifests/endpoints.yaml",
      line: 1,
    });
    expect(parsed.findings[1].resource.namespace).toBe("team-a");
    expect(parsed.findings[1].path).toBe(denyFinding.path);
    // Standard input has the name the text output gives it.
    expect(parsed.findings[3].file).toBe("<stdin>");
    expect(parsed.errors).toEqual(sampleReport.errors);
    expect(parsed.summary).toEqual({ resources: 12, deny: 1, warn: 2, audit: 1, errors: sampleReport.errors.length });
  });

  it("does not leak extra fields a finding may carry", () => {
    const extra = { ...warnFinding, resource: { ...warnFinding.resource, uid: "1234" }, internal: true };
    const parsed = JSON.parse(renderJson({ ...cleanReport, findings: [extra] }));
    expect(parsed.findings[0].resource).not.toHaveProperty("uid");
    expect(parsed.findings[0]).not.toHaveProperty("internal");
  });

  it("writes null file and line for findings without a location", () => {
    const { file: _file, line: _line, ...unlocated } = warnFinding;
    const parsed = JSON.parse(renderJson({ ...cleanReport, findings: [unlocated] }));
    expect(parsed.findings[0].file).toBeNull();
    expect(parsed.findings[0].line).toBeNull();
  });

  it("is pretty-printed with two spaces and ends with one newline", () => {
    const text = renderJson(cleanReport);
    expect(text).toBe(
      '{\n  "findings": [],\n  "errors": [],\n  "summary": {\n    "resources": 3,\n    "deny": 0,\n    "warn": 0,\n    "audit": 0,\n    "errors": 0\n  }\n}\n',
    );
  });

  it("writes, a piece at a time, exactly what JSON.stringify writes for the whole document", () => {
    const multiline = { ...denyFinding, message: 'two\nlines and a "quote" → arrow', path: "" };
    const report = { ...sampleReport, findings: [...sampleReport.findings, multiline] };
    const pieces = [...renderJsonChunks(report)];
    // One piece per finding and error, not one string for everything.
    expect(pieces.length).toBeGreaterThan(report.findings.length + report.errors.length);
    const whole = JSON.parse(pieces.join("")) as unknown;
    expect(pieces.join("")).toBe(`${JSON.stringify(whole, null, 2)}\n`);
    expect(renderJson(report)).toBe(pieces.join(""));
    expect((whole as { findings: { message: string }[] }).findings[4]!.message).toBe(multiline.message);
  });

  it("writes empty findings and errors as [] in pieces too", () => {
    const noFindings = { ...sampleReport, findings: [] };
    const text = [...renderJsonChunks(noFindings)].join("");
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    expect(text).toContain('"findings": [],');
  });
});
