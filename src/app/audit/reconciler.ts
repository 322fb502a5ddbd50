/**
 * The background audit (README "Reconciler"): fed by the shared ClusterInventory, it keeps
 * the current findings of every audited object in a ResultStore and derives from it the
 * PolicyReports, the Events and the violations gauge. Only the leader audits and writes;
 * every replica's ClusterInventory stays warm for admission. Embeddable: the webhook's
 * process passes its own ClusterInventory and Metrics.
 */
import { parseDurationMs } from "../../core/util/duration.js";
import type { Config } from "../../core/config.js";
import { Auditor, type FullAuditStats } from "./audit.js";
import { buildReports, type BuildOptions, type BuiltReport } from "./policy-reports.js";
import type {
  AuditLogger,
  AuditMetrics,
  Election,
  FindingEvents,
  InventoryFeed,
  LeadershipCallbacks,
  ReportStore,
  WriteErrors,
} from "./ports.js";
import { ResultStore, type ReportScope } from "./results.js";

export interface ReconcilerOptions {
  clusterInventory: InventoryFeed;
  config: Config;
  logger: AuditLogger;
  metrics: AuditMetrics;
  reports: ReportStore;
  /** Failed report writes: counted and described (the rest of the audit goes on). */
  reportErrors: WriteErrors;
  events: FindingEvents;
  /** Leader election, started with the reconciler; undefined = this process always leads (single replica, tests). */
  election?: (callbacks: LeadershipCallbacks) => Election;
  /** Overrides config `audit.interval` (tests). */
  auditIntervalMs?: number;
  /** Batch window for changes. Default 200 ms. */
  debounceMs?: number;
  reportOptions?: BuildOptions;
}

const MAX_RETRY_MS = 30_000;

/**
 * Sets `s3_vpce_guard_violations` from the current results. reset + set in one synchronous
 * step: a scrape never sees a half-built gauge, and label sets whose findings are gone
 * disappear instead of lingering at their last value.
 */
export function setViolationsGauge(metrics: Pick<AuditMetrics, "violations">, results: ResultStore): void {
  metrics.violations.reset();
  for (const sample of results.violationSamples()) metrics.violations.set(sample.labels, sample.value);
}

export class Reconciler {
  readonly results = new ResultStore();
  readonly auditor: Auditor;
  private readonly writer: ReportStore;
  private readonly events: FindingEvents;
  private readonly elector: Election | undefined;
  private readonly intervalMs: number;
  private leading = false;
  /** Bumped on every leadership change: work of an older term stops writing. */
  private term = 0;
  private started = false;
  private synced = false;
  private unsubscribe: (() => void) | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 1_000;
  private reportSync: Promise<void> | undefined;
  /** Reports of this term listed and reconciled once (stale ones deleted). */
  private reportsPrimed = false;
  private lastAudit: FullAuditStats | undefined;
  /** Lines of the reconciler itself; its parts (leader election, Events, reports) name their own component. */
  private readonly log: AuditLogger;

  constructor(private readonly options: ReconcilerOptions) {
    const { config, logger } = options;
    this.log = logger.child({ component: "reconciler" });
    this.intervalMs = options.auditIntervalMs ?? parseDurationMs(config.audit.interval) ?? 300_000;
    this.writer = options.reports;
    this.events = options.events;
    this.auditor = new Auditor({
      inventory: options.clusterInventory.inventory,
      config,
      results: this.results,
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      onEvaluated: (ref, findings) => {
        if (!this.leading) return;
        if (findings) this.events.observe(ref, findings);
        else this.events.forget(ref);
      },
      onResultsChanged: () => this.publish(),
      onUndecided: (rule) => options.metrics.undecided.inc({ rule }),
      onError: (ref, error) =>
        this.log.error(
          { err: error, resource: `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}` },
          "a rule failed on this object; please report this (its previous result is kept)",
        ),
    });
    this.elector = options.election?.({ onStartedLeading: () => this.setLeading(true), onStoppedLeading: () => this.setLeading(false) });
    options.metrics.leader.set(0);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Statistics of the last full audit (undefined before the first). */
  get lastFullAudit(): FullAuditStats | undefined {
    return this.lastAudit;
  }

  /** Starts the ClusterInventory (if not yet started), the election and the audit. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = this.options.clusterInventory.onChange((change) => this.auditor.handleChange(change));
    this.options.clusterInventory.start();
    void this.options.clusterInventory.synced.then(() => {
      if (!this.started) return;
      this.synced = true;
      this.auditor.dependencies.rebuild();
      if (this.leading) this.beginTerm();
    });
    if (this.elector) this.elector.start();
    else this.setLeading(true);
  }

  /**
   * Stops auditing and gives the lease up (unless `releaseLease: false`: it then expires).
   * Does not stop the ClusterInventory (its owner does).
   */
  async stop(options: { releaseLease?: boolean } = {}): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unsubscribe?.();
    if (this.elector) await this.elector.stop(options);
    this.setLeading(false);
    await this.reportSync;
  }

  /** The reports a scope has now (what the leader writes). Empty when the scope has no audited object. */
  reportsFor(scope: ReportScope): BuiltReport[] {
    return buildReports(scope, this.results.entries(scope), this.options.reportOptions);
  }

  /** Runs a full audit now (the periodic one also runs by itself). */
  async auditNow(): Promise<FullAuditStats | undefined> {
    if (!this.leading || !this.synced) return undefined;
    const term = this.term;
    // Compare with what is really on the server once per pass: a report deleted or edited
    // by hand is put right within one audit interval.
    this.writer.reset();
    this.reportsPrimed = false;
    const stats = await this.auditor.fullAudit();
    if (term !== this.term) return stats;
    this.lastAudit = stats;
    this.options.metrics.auditDuration.observe(stats.durationMs / 1000);
    this.options.metrics.auditLastSuccess.setToCurrentTime();
    this.log.info({ objects: stats.objects, durationMs: Math.round(stats.durationMs), findings: this.countFindings() }, "full audit done");
    return stats;
  }

  private countFindings(): number {
    let n = 0;
    for (const _ of this.results.allFindings()) n++;
    return n;
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.term++;
    this.options.metrics.leader.set(leading ? 1 : 0);
    if (leading) {
      if (this.synced) this.beginTerm();
      return;
    }
    // Another replica owns reports and events now; keep nothing that would go stale.
    this.auditor.deactivate();
    clearInterval(this.auditTimer);
    clearTimeout(this.retryTimer);
    this.auditTimer = undefined;
    this.retryTimer = undefined;
    this.events.stop();
    this.events.reset();
    this.results.clear();
    this.results.takeDirtyScopes();
    this.options.metrics.violations.reset();
    this.writer.reset();
    this.reportsPrimed = false;
  }

  private beginTerm(): void {
    this.writer.reset();
    this.reportsPrimed = false;
    this.retryDelayMs = 1_000;
    this.events.resume();
    this.auditor.activate();
    const runAudit = () =>
      void this.auditNow().catch((error: unknown) => this.log.error({ err: error }, "full audit failed; retrying at the next interval"));
    runAudit();
    clearInterval(this.auditTimer);
    this.auditTimer = setInterval(runAudit, this.intervalMs);
    this.auditTimer.unref();
  }

  /** Results changed: update the gauge now, and the reports in the background. */
  private publish(): void {
    if (!this.leading) return;
    this.updateGauge();
    void this.syncReports();
  }

  private updateGauge(): void {
    setViolationsGauge(this.options.metrics, this.results);
  }

  private syncReports(): Promise<void> {
    this.reportSync ??= this.syncReportsOnce().finally(() => (this.reportSync = undefined));
    return this.reportSync;
  }

  private async syncReportsOnce(): Promise<void> {
    const term = this.term;
    const log = this.log;
    try {
      const existing = await this.writer.existingScopes();
      if (term !== this.term) return;
      if (existing === undefined) {
        // No CRDs: drop the work; a later full audit asks again.
        this.results.takeDirtyScopes();
        this.reportsPrimed = false;
        return;
      }
      if (!this.reportsPrimed) {
        // New term or CRDs just installed: compare every scope, ours and stale ones.
        this.results.markDirty([...existing, ...this.results.scopes()]);
        this.reportsPrimed = true;
      }
    } catch (error) {
      this.options.reportErrors.count(error);
      log.warn({ reason: this.options.reportErrors.reason(error) }, "could not list PolicyReports; retrying");
      this.retryLater();
      return;
    }
    let failed = false;
    while (this.leading && term === this.term) {
      const scopes = this.results.takeDirtyScopes();
      if (scopes.length === 0) break;
      for (const scope of scopes) {
        if (term !== this.term) return;
        try {
          const outcome = await this.writer.sync(scope, this.reportsFor(scope));
          if (outcome === "unavailable") {
            this.results.takeDirtyScopes();
            this.reportsPrimed = false;
            return;
          }
          if (outcome.written + outcome.deleted > 0) log.debug({ scope: scope || "(cluster)", ...outcome }, "reports synced");
        } catch (error) {
          failed = true;
          this.options.reportErrors.count(error);
          this.results.markDirty([scope]);
          log.warn(
            { scope: scope || "(cluster)", reason: this.options.reportErrors.reason(error) },
            "could not write a PolicyReport; retrying",
          );
        }
      }
      if (failed) break;
    }
    if (failed) this.retryLater();
    else this.retryDelayMs = 1_000;
  }

  private retryLater(): void {
    if (this.retryTimer || !this.leading) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(MAX_RETRY_MS, this.retryDelayMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.syncReports();
    }, delay);
    this.retryTimer.unref();
  }
}
