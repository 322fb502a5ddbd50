import { adapt, type AdaptResult, type AdapterContext } from "../core/adapters/index.js";
import { fillInventory, isNamespaceObject } from "../core/adapters/inventory-adapter.js";
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
  for (const { item: source, result } of fillInventory(inputs, inventory, config)) collect(source, result, adapted, errors);
  return { inventory, adapted, errors };
}

/** Files one adapted input's model and issues where adaptInputs and InputAdapter report them. */
function collect(source: SourcedObject, result: AdaptResult, adapted: AdaptedInputs["adapted"], errors: InputError[]): void {
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

/**
 * adaptInputs for inputs that arrive in batches (the CLI's files, one after the other): each
 * batch is adapted, and its raw objects dropped, before the next is read, so a large check
 * never holds every raw object at once. finish() returns what adaptInputs would have returned
 * for all batches given at once: the same models, errors and order, and an inventory filled in
 * the same order (Namespaces first).
 *
 * An ACK object without a region of its own takes its Namespace's default region, and that
 * Namespace may come in a later batch: such objects are kept raw and adapted in finish().
 */
export class InputAdapter {
  private inventory = new Inventory();
  private readonly namespaces: { source: SourcedObject; result: AdaptResult }[] = [];
  /** Every other input in order; `result` is undefined while the object waits for finish(). */
  private readonly others: { source: SourcedObject; result: AdaptResult | undefined }[] = [];
  /** The inventory was filled in another order than adaptInputs' (Namespaces first). */
  private reordered = false;
  private askedNamespace = false;
  private readonly context: AdapterContext;
  private finished = false;

  constructor(config: Pick<Config, "defaults">) {
    this.context = {
      defaultRegion: config.defaults.region,
      namespaceDefaultRegion: (namespace) => {
        this.askedNamespace = true;
        return this.inventory.namespace(namespace)?.defaultRegion;
      },
    };
  }

  /** Adapts a batch; each raw object is dropped once adapted. */
  add(inputs: readonly SourcedObject[]): void {
    if (this.finished) throw new Error("InputAdapter.add after finish");
    for (const source of inputs) {
      if (!isNamespaceObject(source.object)) continue;
      const result = adapt(source.object, this.context);
      source.object = undefined;
      if (result.status === "adapted") this.inventory.upsert(result.object);
      if (this.others.length > 0) this.reordered = true;
      this.namespaces.push({ source, result });
    }
    for (const source of inputs) {
      if (source.object === undefined) continue; // a Namespace, adapted above
      this.askedNamespace = false;
      const result = adapt(source.object, this.context);
      if (this.askedNamespace) {
        // Its Namespace may still come: adapted again, with every Namespace known, in finish().
        this.others.push({ source, result: undefined });
        this.reordered = true;
        continue;
      }
      source.object = undefined;
      if (result.status === "adapted") this.inventory.upsert(result.object);
      this.others.push({ source, result });
    }
  }

  finish(): AdaptedInputs {
    this.finished = true;
    const waiting = this.others.filter((entry) => entry.result === undefined);
    for (const entry of waiting) {
      entry.result = adapt(entry.source.object, this.context);
      entry.source.object = undefined;
    }
    // Objects that waited were not filed yet: filing everything again puts them in their place.
    if (this.reordered) this.refill();
    const adapted: AdaptedInputs["adapted"] = [];
    const errors: InputError[] = [];
    for (const { source, result } of [...this.namespaces, ...this.others]) collect(source, result!, adapted, errors);
    return { inventory: this.inventory, adapted, errors };
  }

  /** The inventory filled again in adaptInputs' order: rules that list objects see them in that order. */
  private refill(): void {
    this.inventory = new Inventory();
    for (const { result } of [...this.namespaces, ...this.others]) if (result?.status === "adapted") this.inventory.upsert(result.object);
  }
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
