import { parseConfig } from "../../src/cli/config/config-file.js";
import type { Config } from "../../src/cli/config/schema.js";
import { adapt } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { adapterContext } from "../../src/core/adapters/inventory-adapter.js";
import { checkObjects } from "../../src/app/check-objects.js";
import { review } from "../../src/core/engine/engine.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import type { Finding, RuleId } from "../../src/core/model/findings.js";
import type { ModelObject, Operation } from "../../src/core/model/types.js";
import { ALL_RULES } from "../../src/core/rules/rule-registry.js";
import { withWorkBudget } from "../../src/core/iam/work-budget.js";

export function config(input: Record<string, unknown> = {}): Config {
  const result = parseConfig(input);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

/** CLI-style check: every object given is the inventory. */
export function check(objects: KubeObject[], cfg: Record<string, unknown> = {}, rule?: RuleId): Finding[] {
  const report = checkObjects(
    objects.map((object, i) => ({ object, file: "test.yaml", line: i + 1 })),
    { config: config(cfg) },
  );
  if (report.errors.length > 0) throw new Error(`input errors: ${JSON.stringify(report.errors)}`);
  return rule ? report.findings.filter((f) => f.rule === rule) : report.findings;
}

/** check() of `rule` alone (every other rule off), and the work steps it spent (src/core/iam/work-budget.ts). */
export function checkOneRuleSpending(objects: KubeObject[], rule: RuleId): { value: Finding[]; spent: number } {
  const othersOff = Object.fromEntries(ALL_RULES.filter((r) => r.id !== rule).map((r) => [r.id, { action: "off" }]));
  return withWorkBudget(1e9, () => check(objects, { rules: othersOff }, rule));
}

function toModel(o: KubeObject, inventory: Inventory, cfg: Config): ModelObject {
  const r = adapt(o, adapterContext(inventory, cfg));
  if (r.status !== "adapted") throw new Error(`not adapted: ${JSON.stringify(r)}`);
  return r.object;
}

export interface AdmissionCase {
  object: KubeObject;
  oldObject?: KubeObject;
  operation: Operation;
  /** Objects already in the cluster. */
  cluster?: KubeObject[];
  config?: Record<string, unknown>;
  now?: Date;
  inventoryComplete?: boolean;
}

/** Admission-style review through the engine API. */
export function admit(c: AdmissionCase, rule?: RuleId): Finding[] {
  const cfg = config(c.config);
  const inventory = new Inventory();
  for (const o of c.cluster ?? []) inventory.upsert(toModel(o, inventory, cfg));
  const subject = toModel(c.object, inventory, cfg);
  const findings = review(
    {
      subject,
      ...(c.oldObject ? { oldSubject: toModel(c.oldObject, inventory, cfg) } : {}),
      operation: c.operation,
      mode: "admission",
      inventoryComplete: c.inventoryComplete ?? true,
      ...(c.now ? { now: c.now } : {}),
    },
    { config: cfg, inventory },
  );
  return rule ? findings.filter((f) => f.rule === rule) : findings;
}
