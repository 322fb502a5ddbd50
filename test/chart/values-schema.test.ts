// values.schema.json, read with a second JSON-schema implementation (ajv, draft-07): the
// defaults pass, and its `config` part agrees with the product's own config schema (zod).
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { CONSUMER_IDS, configSchema } from "../../src/cli/config/schema.js";
import { RULE_IDS } from "../../src/core/model/findings.js";
import { chartDir } from "./render.js";

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  propertyNames?: { enum?: string[] };
  items?: JsonSchema;
  enum?: string[];
}

const schema = JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8")) as JsonSchema & Record<string, unknown>;
const defaults = parseYaml(readFileSync(path.join(chartDir, "values.yaml"), "utf8")) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const withConfig = (config: unknown) => ({ ...defaults, config });

describe("values.schema.json", () => {
  it("accepts values.yaml as it is", () => {
    expect(validate(defaults), JSON.stringify(validate.errors)).toBe(true);
  });

  it("lists exactly the rule ids and consumer ids of the code", () => {
    const config = schema.properties?.config?.properties;
    expect(config?.rules?.propertyNames?.enum).toEqual([...RULE_IDS]);
    expect(config?.exemptions?.items?.properties?.rules?.items?.enum).toEqual([...RULE_IDS]);
    expect(config?.consumers?.items?.properties?.services?.items?.enum).toEqual([...CONSUMER_IDS]);
    expect(config?.consumerBuckets?.propertyNames?.enum).toEqual([...CONSUMER_IDS]);
  });

  const configs: Array<[string, unknown]> = [
    ["the defaults", defaults.config],
    ["a rule override", { rules: { "ipv4-only": { action: "off" } } }],
    ["a bad rule action", { rules: { "ipv4-only": { action: "block" } } }],
    ["an unknown rule", { rules: { "no-such-rule": { action: "off" } } }],
    [
      "an exemption",
      { exemptions: [{ namespaces: ["sandbox"], selector: { matchLabels: { team: "platform" } }, rules: ["endpoint-full-access"] }] },
    ],
    ["an exemption with an unknown key", { exemptions: [{ namespace: "sandbox" }] }],
    ["a consumer", { consumers: [{ vpcIds: ["vpc-0a1b2c3d4e5f67890"], services: ["cloudformation"] }] }],
    ["a consumer without vpcIds or endpointSelector", { consumers: [{ services: ["cloudformation"] }] }],
    ["a consumer with a bad VPC id", { consumers: [{ vpcIds: ["vpc-xyz"] }] }],
    ["a change window", { changeWindows: [{ days: ["Sat"], start: "02:00", end: "06:00" }] }],
    ["a change window at 25:00", { changeWindows: [{ days: ["Sat"], start: "25:00", end: "06:00" }] }],
    ["awsFeatureLevel current", { awsFeatureLevel: "current" }],
    ["awsFeatureLevel latest", { awsFeatureLevel: "latest" }],
    ["an audit interval of 2m", { audit: { interval: "2m" } }],
    ["an audit interval of five minutes", { audit: { interval: "five minutes" } }],
    ["no probe actions", { probeActions: [] }],
    ["an unknown key", { rulez: {} }],
  ];
  for (const [what, config] of configs) {
    it(`agrees with the product on ${what}`, () => {
      expect(validate(withConfig(config)), JSON.stringify(validate.errors)).toBe(configSchema.safeParse(config).success);
    });
  }
});
