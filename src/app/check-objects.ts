import { fillInventory } from "../core/adapters/inventory-adapter.js";
import type { Config } from "../core/config.js";
import { Inventory } from "../core/inventory/inventory.js";
import type { CheckReport, InputError, ReportedFinding } from "../core/model/report.js";
import type { ModelObject } from "../core/model/types.js";
import type { Rule } from "../core/rules/rule.js";
import { review } from "../core/engine/engine.js";

export interface SourcedObject {
  /** Released (set to undefined) once adapted: a large check keeps only the model. */
  object: unknown;
  file: string;
  line: number;
}

export interface CheckOptions {
  config: Config;
  /** Extra facts (AWS verification) for ids the inputs do not hold. */
  inventory?: Inventory;
  rules?: readonly Rule[];
  now?: Date;
  /**
   * False when part of the inventory could not be read (`check --cluster` with a kind it may
   * not list): rules that need every object then say nothing rather than guess. Default true.
   */
  inventoryComplete?: boolean;
}

/** Inputs adapted once: the inventory they fill, the adapted objects with their source, and input errors. */
export interface AdaptedInputs {
  inventory: Inventory;
  adapted: { model: ModelObject; source: SourcedObject }[];
  errors: InputError[];
}

/**
 * Adapts a set of manifests into an inventory (`inventory`, or a new one), once: `check --aws`
 * lists AWS for the regions of this inventory and then checks the same objects. The raw
 * objects are consumed: each is dropped once adapted.
 */
export function adaptInputs(inputs: readonly SourcedObject[], config: Config, inventory: Inventory = new Inventory()): AdaptedInputs {
  const errors: InputError[] = [];
  const adapted: { model: ModelObject; source: SourcedObject }[] = [];
  for (const { item: source, result } of fillInventory(inputs, inventory, config)) {
    // A field of the wrong shape on an object that still adapted: the webhook admits it with a
    // warning (the API server's schema is the judge there); offline nothing else will catch
    // it, so check reports it as an input error, as the CRD schema would refuse it at apply.
    if (result.status === "invalid" || result.status === "adapted") {
      for (const issue of result.issues) {
        errors.push({ file: source.file, line: source.line, message: `${issue.path}: ${issue.message}` });
      }
    }
    if (result.status === "adapted" && result.object.type !== "Namespace") {
      adapted.push({ model: result.object, source });
    }
  }
  return { inventory, adapted, errors };
}

/**
 * Offline check of a set of manifests: everything given is the inventory (so cross-resource
 * rules see every object), and each object is reviewed as in an audit. The raw objects are
 * consumed: each is dropped once adapted.
 */
export function checkObjects(inputs: readonly SourcedObject[], options: CheckOptions): CheckReport {
  return checkAdapted(adaptInputs(inputs, options.config, options.inventory), options);
}

/** Reviews inputs adapted by adaptInputs (`options.inventory` is not used: the inputs carry theirs). */
export function checkAdapted({ inventory, adapted, errors }: AdaptedInputs, options: CheckOptions): CheckReport {
  const { config } = options;
  const inventoryComplete = options.inventoryComplete ?? true;
  inventory.complete = inventoryComplete;

  const findings: ReportedFinding[] = [];
  for (const { model, source } of adapted) {
    for (const finding of review(
      { subject: model, mode: "cli", inventoryComplete, ...(options.now ? { now: options.now } : {}) },
      { config, inventory, ...(options.rules ? { rules: options.rules } : {}) },
    )) {
      findings.push({ ...finding, file: source.file, line: source.line });
    }
  }
  const count = (action: string) => findings.filter((f) => f.action === action).length;
  return {
    findings,
    errors: [...errors],
    summary: { resources: adapted.length, deny: count("deny"), warn: count("warn"), audit: count("audit") },
  };
}
