import { describe, expect, it } from "vitest";
import { renderText } from "../../src/app/output/text.js";
import { cleanReport, sampleReport, warnFinding } from "./sample-report.js";

const ANSI = new RegExp(String.fromCharCode(27) + "\\[");

describe("renderText without colour", () => {
  const text = renderText(sampleReport, { color: false });

  it("contains no ANSI escape codes", () => {
    expect(text).not.toMatch(ANSI);
  });

  it("lists input errors first, then findings grouped by file and resource, then the summary", () => {
    expect(text).toBe(
      [
        "manifests/broken.yaml:4: column 3: Map keys must be unique",
        "manifests/missing.yaml: cannot read: ENOENT: no such file or directory",
        "",
        "VPCEndpoint s3-gateway (manifests/endpoints.yaml:1)",
        `  WARN   endpoint-full-access  ${warnFinding.message}`,
        "         fix: Set spec.forProvider.policy to allow only your buckets.",
        "         at: spec.forProvider.policy",
        "         guide: Restricting access to a specific bucket",
        "  AUDIT  ipv4-only  VPCEndpoint s3-gateway: spec.forProvider.ipAddressType is dualstack.",
        "         fix: Use ipv4.",
        "         at: spec.forProvider.ipAddressType",
        "         guide: Limitations and restrictions",
        "",
        "BucketPolicy team-a/logs (manifests/team-a/bucket policy.yaml:12)",
        `  DENY   source-ip-condition  ${sampleReport.findings[1]?.message}`,
        "         fix: Use aws:SourceVpce or aws:SourceVpc instead of aws:SourceIp.",
        '         at: spec.forProvider.policy → Statement[1].Condition.NotIpAddress["aws:SourceIp"]',
        "         guide: Using Amazon S3 bucket policies",
        "",
        "VPCEndpoint ack/piped (<stdin>:3)",
        `  WARN   endpoint-full-access  ${warnFinding.message}`,
        "         fix: Set spec.forProvider.policy to allow only your buckets.",
        "         at: spec.forProvider.policy",
        "         guide: Restricting access to a specific bucket",
        "",
        "12 resources checked: 1 deny, 2 warn, 1 audit, 2 input errors",
        "",
      ].join("\n"),
    );
  });

  it("orders resources of one file by line and a resource's findings deny first", () => {
    const later = { ...warnFinding, resource: { ...warnFinding.resource, name: "later" }, line: 30 };
    const earlier = { ...warnFinding, action: "audit" as const, resource: { ...warnFinding.resource, name: "earlier" }, line: 5 };
    const earlierDeny = { ...earlier, action: "deny" as const, rule: "cross-region" as const };
    const out = renderText({ ...cleanReport, findings: [later, earlier, earlierDeny] }, { color: false });
    expect(out.indexOf("VPCEndpoint earlier")).toBeLessThan(out.indexOf("VPCEndpoint later"));
    expect(out.indexOf("DENY   cross-region")).toBeLessThan(out.indexOf("AUDIT  endpoint-full-access"));
  });

  it("prints only the summary for a clean run, in the singular where it applies", () => {
    expect(renderText(cleanReport, { color: false })).toBe("3 resources checked: 0 deny, 0 warn, 0 audit\n");
    const one = {
      ...cleanReport,
      errors: [{ file: "a.yaml", line: 1, message: "bad" }],
      summary: { ...cleanReport.summary, resources: 1 },
    };
    expect(renderText(one, { color: false })).toBe("a.yaml:1: bad\n\n1 resource checked: 0 deny, 0 warn, 0 audit, 1 input error\n");
  });

  it("escapes control characters that come from the manifests", () => {
    const hostile = {
      ...warnFinding,
      message: "name \u001b[2J\u001b]0;pwned\u0007 here\nsecond line",
      resource: { ...warnFinding.resource, name: "evil\u001b[31m" },
    };
    const out = renderText({ ...cleanReport, findings: [hostile] }, { color: false });
    expect(out).not.toMatch(ANSI);
    expect(out).not.toContain("\u0007");
    expect(out).toContain("VPCEndpoint evil\\u001b[31m (manifests/endpoints.yaml:1)");
    expect(out).toContain("here\\u000asecond line");
  });
});

describe("renderText with colour", () => {
  const text = renderText(sampleReport, { color: true });

  it("colours deny red, warn yellow, audit cyan and dims the details", () => {
    expect(text).toContain("\u001b[31mDENY \u001b[39m");
    expect(text).toContain("\u001b[33mWARN \u001b[39m");
    expect(text).toContain("\u001b[36mAUDIT\u001b[39m");
    expect(text).toContain("\u001b[2m         fix: Use ipv4.\u001b[22m");
    expect(text).toContain("\u001b[31mmanifests/broken.yaml:4: column 3: Map keys must be unique\u001b[39m");
  });

  it("says the same as the plain text once the codes are removed", () => {
    // eslint-disable-next-line no-control-regex -- stripping the codes is the point
    expect(text.replace(/\u001b\[\d+m/g, "")).toBe(renderText(sampleReport, { color: false }));
  });
});
