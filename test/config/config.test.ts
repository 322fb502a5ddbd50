import { writeFileSync } from "node:fs";
import { defaultConfig as plainDefaults } from "../../src/core/config.js";
import { configSchema } from "../../src/cli/config/schema.js";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfig, parseConfigText } from "../../src/cli/config/config-file.js";
import { testTempDir } from "../helpers/temp-dir.js";

describe("config", () => {
  it("the engine's plain defaults are exactly what the schema fills in for an empty file", () => {
    expect(plainDefaults()).toEqual(configSchema.parse({}));
  });

  it("fills defaults for an empty document", () => {
    const r = parseConfig({});
    expect(r.ok && r.config.defaults.region).toBe("us-east-1");
    expect(r.ok && r.config.probeActions).toEqual(["s3:GetObject", "s3:PutObject", "s3:ListBucket"]);
    expect(r.ok && r.config.awsFeatureLevel).toBe("guide");
  });

  it("accepts the SPEC example", () => {
    const r = parseConfigText(
      `rules:
  ipv4-only: { action: off }
  endpoint-full-access: { action: deny }
exemptions:
  - namespaces: [sandbox]
    selector: { matchLabels: { team: platform } }
    rules: [endpoint-full-access]
allowResourceExemptions: false
consumers:
  - vpcIds: [vpc-0a1b2c3d4e5f67890]
    services: [cloudformation, codedeploy, amazon-linux]
    buckets: ["arn:aws:s3:::my-deploy-bucket/*"]
changeWindows: [{ days: [Sat, Sun], start: "02:00", end: "06:00", timezone: UTC }]
defaults: { region: us-east-1 }
awsFeatureLevel: guide
probeActions: [s3:GetObject, s3:PutObject, s3:ListBucket]
audit: { interval: 5m }
aws: { enabled: false, cacheTtl: 5m }
`,
      "config.yaml",
    );
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it("limits: a work budget per review, allow beyond it by default, and only allow or deny", () => {
    const r = parseConfig({});
    expect(r.ok && r.config.limits).toEqual({ workSteps: 2_000_000, onExceeded: "allow" });
    const bad = parseConfig({ limits: { onExceeded: "ignore", workSteps: 5 } });
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? [] : bad.errors;
    expect(errors.some((e) => e.includes("limits.onExceeded"))).toBe(true);
    expect(errors.some((e) => e.includes("limits.workSteps"))).toBe(true);
  });

  it("admission: existing violations are admitted by default (as Kyverno's allowExistingViolations), and only a boolean", () => {
    const r = parseConfig({});
    expect(r.ok && r.config.admission).toEqual({ allowExistingViolations: true });
    const off = parseConfig({ admission: { allowExistingViolations: false } });
    expect(off.ok && off.config.admission).toEqual({ allowExistingViolations: false });
    const bad = parseConfig({ admission: { allowExistingViolations: "yes", existing: 1 } });
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? [] : bad.errors;
    expect(errors.some((e) => e.includes("admission.allowExistingViolations"))).toBe(true);
  });

  it("reports one clear error per problem, each naming the field", () => {
    const r = parseConfig({
      rules: { "ipv4-only": { action: "block" }, "no-such-rule": { action: "warn" } },
      awsFeatureLevel: "latest",
      changeWindows: [{ days: ["Someday"], start: "25:00", end: "06:00" }],
      typo: true,
    });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.some((e) => e.includes("rules.ipv4-only.action"))).toBe(true);
    expect(errors.some((e) => e.includes("awsFeatureLevel"))).toBe(true);
    expect(errors.some((e) => e.includes("changeWindows[0].days[0]"))).toBe(true);
    expect(errors.some((e) => e.includes("changeWindows[0].start"))).toBe(true);
    expect(errors.some((e) => e.includes("typo"))).toBe(true);
    expect(errors.some((e) => e.includes("no-such-rule"))).toBe(true);
  });

  it("rejects unknown time zones and malformed YAML with a line", () => {
    const tz = parseConfig({ changeWindows: [{ days: ["Sat"], start: "01:00", end: "02:00", timezone: "Mars/Olympus" }] });
    expect(tz.ok ? [] : tz.errors).toEqual([expect.stringContaining("unknown time zone")]);
    const bad = parseConfigText("rules:\n  ipv4-only: [\n", "c.yaml");
    expect(bad.ok).toBe(false);
    expect(bad.ok ? "" : bad.errors[0]).toMatch(/^c\.yaml:\d+:/);
  });

  it("reads a file and reports a missing one", async () => {
    const dir = testTempDir("s3vg-config-");
    writeFileSync(join(dir, "c.yaml"), "awsFeatureLevel: current\n");
    const ok = await loadConfigFile(join(dir, "c.yaml"));
    expect(ok.ok && ok.config.awsFeatureLevel).toBe("current");
    const missing = await loadConfigFile(join(dir, "nope.yaml"));
    expect(missing.ok ? "" : missing.errors[0]).toMatch(/cannot read config/);
  });
});

describe("config: YAML the parser accepts but cannot resolve", () => {
  it("reports an alias without anchor and an alias bomb as errors, not exceptions", () => {
    const noAnchor = parseConfigText("*-", "c.yaml");
    expect(noAnchor.ok ? "" : noAnchor.errors[0]).toMatch(/^c\.yaml: .*alias/i);
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join("\n");
    const bombed = parseConfigText(bomb, "c.yaml");
    expect(bombed.ok).toBe(false);
  });
});
