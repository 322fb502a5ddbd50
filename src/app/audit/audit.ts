/**
 * The audit loop: re-evaluates what a change can affect (the changed object and its
 * dependents, batched over a short window) and, every `audit.interval`, everything.
 * Work runs in slices that yield to the event loop, so admission requests served by the
 * same process are never stuck behind an audit (Gatekeeper chunks its audit the same way).
 * Results go into the ResultStore; nothing here talks to the API server.
 */
import { deepEqual } from "../../core/util/deep-equal.js";
import type { Config } from "../../core/config.js";
import { review } from "../../core/engine/engine.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import type { InventoryChange } from "../../core/inventory/change.js";
import type { Finding } from "../../core/model/findings.js";
import { objectKey } from "../../core/model/refs.js";
import type { ResourceRef } from "../../core/model/types.js";
import type { Rule } from "../../core/rules/rule.js";
import { DependencyIndex, isAuditSubject, type Dependent } from "./dependencies.js";
import type { ResultStore } from "./results.js";

export interface AuditorOptions {
  inventory: Inventory;
  config: Config;
  results: ResultStore;
  /** Batch window for changes. Default 200 ms. */
  debounceMs?: number;
  /** Longest run of evaluations before yielding to the event loop. Default 10 ms. */
  sliceMs?: number;
  rules?: readonly Rule[];
  /** Called for every evaluated object: its findings, or undefined when it left the audit. */
  onEvaluated?: (ref: ResourceRef, findings: readonly Finding[] | undefined) => void;
  /** A rule threw on an object (a bug): its previous result stays; the audit goes on. */
  onError?: (ref: ResourceRef, error: unknown) => void;
  /** A rule left a question undecided (over its work budget) and made no claim. */
  onUndecided?: (rule: string) => void;
  /** Called after each batch (incremental or full) that changed the results. */
  onResultsChanged?: () => void;
  now?: () => Date;
}

export interface FullAuditStats {
  objects: number;
  durationMs: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Auditor {
  readonly dependencies: DependencyIndex;
  private readonly pending = new Map<string, ResourceRef>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private active = false;
  private fullAuditRun: Promise<FullAuditStats> | undefined;

  constructor(private readonly options: AuditorOptions) {
    this.dependencies = new DependencyIndex(options.inventory);
  }

  /** Starts queuing changes (after the inventory's first sync, as leader). */
  activate(): void {
    this.active = true;
  }

  /** Stops auditing; queued work is dropped. The dependency index stays current. */
  deactivate(): void {
    this.active = false;
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get queued(): number {
    return this.pending.size;
  }

  /** Feed from ClusterInventory.onChange (the inventory already reflects the change). */
  handleChange(change: InventoryChange): void {
    const before = change.type === "upsert" ? change.previous : change.object;
    const after = change.type === "upsert" ? change.object : undefined;
    // A relist re-delivers every object: unchanged ones affect nothing.
    if (before && after && deepEqual(before, after)) return;
    if (after) this.dependencies.record(after);
    else if (before) this.dependencies.forget(before);
    if (!this.active) return;
    this.enqueue(this.dependencies.dependentsOf(before, after));
  }

  enqueue(dependents: readonly Dependent[]): void {
    if (!this.active || dependents.length === 0) return;
    for (const d of dependents) this.pending.set(d.key, d.ref);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.options.debounceMs ?? 200);
  }

  /** Evaluates everything queued now (tests, benchmarks); resolves when the queue is empty. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.drain();
  }

  /** Re-evaluates every audited object and drops results of objects that are gone. */
  fullAudit(): Promise<FullAuditStats> {
    this.fullAuditRun ??= this.runFullAudit().finally(() => (this.fullAuditRun = undefined));
    return this.fullAuditRun;
  }

  private async runFullAudit(): Promise<FullAuditStats> {
    const started = performance.now();
    const { inventory, results } = this.options;
    this.dependencies.rebuild();
    // What is queued now is covered by this pass; changes arriving during it queue again.
    this.pending.clear();
    const todo: Dependent[] = [];
    for (const o of inventory.all()) if (isAuditSubject(o)) todo.push({ key: objectKey(o.ref), ref: o.ref });
    const live = new Set(todo.map((d) => d.key));
    for (const key of [...results.keys()]) {
      if (live.has(key)) continue;
      const gone = results.get(key);
      results.delete(key);
      if (gone) this.options.onEvaluated?.(gone.ref, undefined);
    }
    await this.evaluateAll(todo);
    // Always: a full pass is also when reports that could not be written are retried.
    this.options.onResultsChanged?.();
    return { objects: todo.length, durationMs: performance.now() - started };
  }

  private drain(): Promise<void> {
    // `.finally` runs as a microtask, after the assignment: the slot is always cleared.
    this.running ??= this.drainQueue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drainQueue(): Promise<void> {
    while (this.pending.size > 0 && this.active) {
      const batch = [...this.pending].map(([key, ref]) => ({ key, ref }));
      this.pending.clear();
      const generation = this.options.results.generation;
      await this.evaluateAll(batch);
      if (this.options.results.generation !== generation) this.options.onResultsChanged?.();
    }
  }

  private async evaluateAll(todo: readonly Dependent[]): Promise<void> {
    const sliceMs = this.options.sliceMs ?? 10;
    let sliceStart = performance.now();
    for (let i = 0; i < todo.length; i++) {
      this.evaluate(todo[i]!);
      if ((i & 15) === 15 && performance.now() - sliceStart >= sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
  }

  /** One object against the current inventory. */
  evaluate({ key, ref }: Dependent): void {
    const { inventory, results, config } = this.options;
    const subject = inventory.get(ref);
    if (!subject || !isAuditSubject(subject)) {
      if (results.delete(key)) this.options.onEvaluated?.(ref, undefined);
      return;
    }
    let findings: Finding[];
    try {
      findings = review(
        { subject, mode: "audit", inventoryComplete: inventory.complete, ...(this.options.now ? { now: this.options.now() } : {}) },
        {
          config,
          inventory,
          ...(this.options.rules ? { rules: this.options.rules } : {}),
          ...(this.options.onUndecided ? { onUndecided: this.options.onUndecided } : {}),
        },
      );
    } catch (error) {
      this.options.onError?.(subject.ref, error);
      return;
    }
    results.set(key, subject.ref, findings);
    this.options.onEvaluated?.(subject.ref, findings);
  }
}
