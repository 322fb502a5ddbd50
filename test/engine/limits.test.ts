import { describe, expect, it } from "vitest";
import { capRuleFindings, capText, MAX_FINDINGS_PER_RULE } from "../../src/core/engine/limits.js";
import type { Finding } from "../../src/core/model/findings.js";
import { compileArnPattern } from "../../src/core/iam/arn.js";
import { compileWildcard } from "../../src/core/iam/wildcard.js";

const finding = (index: number, action: Finding["action"] = "warn"): Finding => ({
  rule: "source-ip-condition",
  action,
  message: `finding ${index}`,
  fix: "fix it",
  guide: "guide",
  resource: { apiVersion: "s3.aws.upbound.io/v1beta1", kind: "BucketPolicy", namespace: null, name: "p" },
  path: `Statement[${index}]`,
});

describe("engine limits", () => {
  it("keeps the first findings of a rule and counts the rest with their strictest action", () => {
    const findings = Array.from({ length: 30 }, (_, index) => finding(index, index === 27 ? "deny" : "warn"));
    const capped = capRuleFindings(findings);
    expect(capped).toHaveLength(MAX_FINDINGS_PER_RULE + 1);
    expect(capped.slice(0, MAX_FINDINGS_PER_RULE)).toEqual(findings.slice(0, MAX_FINDINGS_PER_RULE));
    expect(capped.at(-1)).toMatchObject({
      rule: "source-ip-condition",
      action: "deny",
      message: "BucketPolicy p: … and 10 more source-ip-condition findings (only the first 20 are listed)",
      path: "",
    });
    expect(capRuleFindings(findings.slice(0, MAX_FINDINGS_PER_RULE))).toHaveLength(MAX_FINDINGS_PER_RULE);
  });

  it("cuts long texts with an ellipsis", () => {
    expect(capText("x".repeat(50), 10)).toBe(`${"x".repeat(9)}…`);
    expect(capText("short", 10)).toBe("short");
  });
});

describe("compiled patterns stay RegExps for callers that hold one", () => {
  it("test, exec and String.match run the linear matcher", () => {
    const pattern = compileWildcard("s3:Get*", true);
    expect(pattern).toBeInstanceOf(RegExp);
    expect(pattern.test("S3:GETOBJECT")).toBe(true);
    expect(pattern.exec("s3:PutObject")).toBeNull();
    expect("s3:GetObject".match(pattern)?.[0]).toBe("s3:GetObject");
    const arn = compileArnPattern("arn:aws:s3:*:*:bucket");
    expect(arn.test("arn:aws:s3:::bucket")).toBe(true);
    expect(compileArnPattern("arn:aws:s?:::b").test("arn:aws:s::::b")).toBe(false);
  });
});
