/**
 * Kubernetes Events from the background audit, bounded so that they stay a signal at fleet
 * scale (README "Reliability"):
 * - one Event per object per change of its findings (type Warning, reason PolicyViolation),
 *   summarising all of them — never one per finding; a persisting finding is not
 *   re-announced (the PolicyReports are the durable record);
 * - which findings count is config `events.audit`: `deny` (default) deny and warn findings,
 *   `all` also audit-only ones, `off` none;
 * - sent through a token bucket (a burst, then a steady rate), one queued Event per object
 *   at most (a newer summary replaces a queued one);
 * - no storm after failover: an Event's name is derived from the object and the digest of
 *   its findings, and carries the digest in an annotation. A new leader lists our Events
 *   once (label `app.kubernetes.io/managed-by=s3-vpce-guard`) before sending anything and
 *   treats the latest digest per object as announced; what slips past (a list that failed)
 *   meets 409 AlreadyExists and is not sent twice.
 */
import { createHash } from "node:crypto";
import { CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../core/config.js";
import { reasonOf, statusOf } from "./informer.js";
import { componentLogger, type Logger } from "../telemetry/logging.js";
import { sleep } from "../util/backoff.js";
import { TokenBucket } from "../util/rate-limit.js";
import type { Finding } from "../../core/model/findings.js";
import { objectKey } from "../../core/model/refs.js";
import { MANAGED_BY_LABEL } from "../../core/model/policy-report.js";
import type { ResourceRef } from "../../core/model/types.js";

export const EVENT_COMPONENT = "s3-vpce-guard";
export const EVENT_REASON = "PolicyViolation";
export const DIGEST_ANNOTATION = "s3-vpce-guard.io/findings-digest";
/** Namespace for Events about cluster-scoped objects (as kubectl and the kubelet do). */
export const CLUSTER_EVENT_NAMESPACE = "default";
const MAX_MESSAGE = 1024;

export type AuditEventsMode = Config["events"]["audit"];

export interface PendingEvent {
  /** objectKey of the object: at most one Event queued per object. */
  key: string;
  /** Digest of the object's identity (with uid) and its announced findings. */
  digest: string;
  /** Deterministic Event name (object name + digest). */
  name: string;
  namespace: string;
  ref: ResourceRef;
  message: string;
}

const ACTION_ORDER: Record<Finding["action"], number> = { deny: 0, warn: 1, audit: 2 };

/** The findings an Event speaks of under `mode`, most severe first, in a stable order. */
export function announcedFindings(findings: readonly Finding[], mode: AuditEventsMode): Finding[] {
  if (mode === "off") return [];
  const kept = findings.filter((f) => mode === "all" || f.action !== "audit");
  const key = (f: Finding) => `${ACTION_ORDER[f.action]}\u0000${f.rule}\u0000${f.path}\u0000${f.message}`;
  return kept
    .map((f) => ({ f, k: key(f) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.f);
}

/** "2 findings (1 deny, 1 warn): rule: message (field: path); …" within 1024 characters. */
export function summaryMessage(findings: readonly Finding[]): string {
  const counts = { deny: 0, warn: 0, audit: 0 };
  for (const f of findings) counts[f.action]++;
  const parts = (["deny", "warn", "audit"] as const).filter((a) => counts[a] > 0).map((a) => `${counts[a]} ${a}`);
  let text = `${findings.length} finding${findings.length === 1 ? "" : "s"} (${parts.join(", ")}):`;
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i]!;
    const item = ` ${f.rule}: ${f.message} (field: ${f.path})${i < findings.length - 1 ? ";" : ""}`;
    const rest = findings.length - i;
    const more = ` … and ${rest} more in the PolicyReport`;
    // Keep room to say how many did not fit.
    if (text.length + item.length + (i < findings.length - 1 ? more.length : 0) > MAX_MESSAGE) {
      // The first finding is always shown, cut if it must be.
      if (i === 0) return `${(text + item).slice(0, MAX_MESSAGE - 1)}…`;
      text += text.length + more.length <= MAX_MESSAGE ? more : "";
      return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
    }
    text += item;
  }
  return text;
}

/** The Event that announces `findings` of `ref`, or undefined when there is nothing to announce. */
export function pendingEvent(ref: ResourceRef, findings: readonly Finding[], mode: AuditEventsMode): PendingEvent | undefined {
  const announced = announcedFindings(findings, mode);
  if (announced.length === 0) return undefined;
  const key = objectKey(ref);
  const identity = [key, ref.uid ?? "", ...announced.map((f) => `${f.action}\u0000${f.rule}\u0000${f.path}\u0000${f.message}`)].join(
    "\u0001",
  );
  const digest = createHash("sha256").update(identity).digest("hex").slice(0, 16);
  return {
    key,
    digest,
    // Event names are DNS subdomains (≤ 253); object names are too, so cut the prefix.
    name: `${ref.name.slice(0, 200)}.s3vg-${digest}`,
    namespace: ref.namespace ?? CLUSTER_EVENT_NAMESPACE,
    ref,
    message: summaryMessage(announced),
  };
}

/**
 * Decides which objects need an Event now. Pure bookkeeping (no I/O): `observe` an object's
 * current findings, get back the Event to send (if any); `announced` once the API has it.
 * Memory: one digest per object with findings to announce, capped at `maxTracked`.
 */
export class EventDeduplicator {
  /** objectKey → digest of the last announced summary. */
  private readonly lastAnnounced = new Map<string, string>();

  constructor(
    private readonly mode: AuditEventsMode = "deny",
    private readonly maxTracked = 200_000,
  ) {}

  get tracked(): number {
    return this.lastAnnounced.size;
  }

  observe(ref: ResourceRef, findings: readonly Finding[]): PendingEvent | undefined {
    const event = pendingEvent(ref, findings, this.mode);
    if (!event) {
      // Fixed (or nothing left to announce): a later finding is news again.
      this.lastAnnounced.delete(objectKey(ref));
      return undefined;
    }
    return this.isAnnounced(event) ? undefined : event;
  }

  isAnnounced(event: Pick<PendingEvent, "key" | "digest">): boolean {
    return this.lastAnnounced.get(event.key) === event.digest;
  }

  announced(key: string, digest: string): void {
    this.lastAnnounced.delete(key);
    this.lastAnnounced.set(key, digest);
    while (this.lastAnnounced.size > this.maxTracked) {
      const oldest = this.lastAnnounced.keys().next().value as string;
      this.lastAnnounced.delete(oldest);
    }
  }

  /** The object is gone: an object re-created later gets a fresh Event. */
  forget(ref: ResourceRef): void {
    this.lastAnnounced.delete(objectKey(ref));
  }

  clear(): void {
    this.lastAnnounced.clear();
  }
}

/** What a listed Event says was announced, or undefined for Events that are not ours of this layout. */
export function announcedBy(
  event: Pick<CoreV1Event, "metadata" | "involvedObject" | "source" | "reportingComponent">,
): { key: string; digest: string; at: number } | undefined {
  const digest = event.metadata.annotations?.[DIGEST_ANNOTATION];
  const obj = event.involvedObject;
  if (!digest || !obj.apiVersion || !obj.kind || !obj.name) return undefined;
  const at = new Date(event.metadata.creationTimestamp ?? 0).getTime();
  return { key: objectKey({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.name, namespace: obj.namespace || null }), digest, at };
}

export interface EventRecorderOptions {
  /** Instance name in the Event's source (the replica identity). */
  identity: string;
  /** Which findings are announced (config `events.audit`). Default `deny`. */
  mode?: AuditEventsMode;
  /** Steady Events per second. Default 10. */
  ratePerSecond?: number;
  /** Events sent at once before the steady rate applies. Default 100. */
  burst?: number;
  /** Objects waiting for an Event at most; more are left for the next full audit. Default 10,000. */
  maxQueued?: number;
  /** Told of every Event that could not be written (for the write-errors metric). */
  onWriteError?: (error: unknown) => void;
}

/** Sends the deduplicator's Events through the API, rate-limited, never throwing. */
export class EventRecorder {
  readonly dedup: EventDeduplicator;
  private readonly api: CoreV1Api;
  private readonly queue = new Map<string, PendingEvent>();
  private readonly bucket: TokenBucket;
  private pumping = false;
  private stopped = false;
  /** Bumped by stop() and resume(): a pump of an earlier term stops instead of sending unprimed. */
  private term = 0;
  private dropped = 0;
  /** Our Events of earlier terms, read once per term before anything is sent. */
  private primed: Promise<void> | undefined;
  private listForbiddenLogged = false;
  private readonly logger: Logger;

  constructor(
    kubeConfig: KubeConfig,
    logger: Logger,
    private readonly options: EventRecorderOptions,
  ) {
    this.logger = componentLogger(logger, "reconciler");
    this.dedup = new EventDeduplicator(options.mode ?? "deny");
    this.api = kubeConfig.makeApiClient(CoreV1Api);
    this.bucket = new TokenBucket({ capacity: options.burst ?? 100, refillPerSecond: options.ratePerSecond ?? 10 });
  }

  get enabled(): boolean {
    return (this.options.mode ?? "deny") !== "off";
  }

  /** Queues an Event for the object when its findings are news. */
  observe(ref: ResourceRef, findings: readonly Finding[]): void {
    if (!this.enabled) return;
    const event = this.dedup.observe(ref, findings);
    if (!event) {
      this.queue.delete(objectKey(ref));
      return;
    }
    if (!this.queue.has(event.key) && this.queue.size >= (this.options.maxQueued ?? 10_000)) {
      if (this.dropped++ === 0) {
        this.logger.warn(
          { maxQueued: this.options.maxQueued ?? 10_000 },
          "too many Events waiting; leaving some out for now (sent after a later full audit)",
        );
      }
      return;
    }
    this.queue.set(event.key, event);
    void this.pump();
  }

  forget(ref: ResourceRef): void {
    this.dedup.forget(ref);
    this.queue.delete(objectKey(ref));
  }

  /** Stops sending; queued Events are dropped (a new leader sends them). */
  stop(): void {
    this.stopped = true;
    this.term++;
    this.queue.clear();
  }

  /** A new leadership term: read what earlier leaders announced before sending anything. */
  resume(): void {
    this.stopped = false;
    this.term++;
    this.primed = this.enabled ? this.readAnnounced() : Promise.resolve();
  }

  /** Forget everything (leadership lost: the next leader owns the Events). */
  reset(): void {
    this.queue.clear();
    this.dedup.clear();
    this.primed = undefined;
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Seeds the deduplicator with the newest digest per object from our existing Events. */
  private async readAnnounced(): Promise<void> {
    const newest = new Map<string, { digest: string; at: number }>();
    let cont: string | undefined;
    try {
      do {
        const page = await this.api.listEventForAllNamespaces({
          labelSelector: `${MANAGED_BY_LABEL}=${EVENT_COMPONENT}`,
          limit: 500,
          ...(cont ? { _continue: cont } : {}),
        });
        for (const item of page.items) {
          const seen = announcedBy(item);
          if (!seen) continue;
          const before = newest.get(seen.key);
          if (!before || before.at <= seen.at) newest.set(seen.key, seen);
        }
        cont = page.metadata?._continue || undefined;
      } while (cont && !this.stopped);
    } catch (error) {
      // Not fatal: Event names are deterministic, so a repeat meets 409 instead of duplicating.
      if (!this.listForbiddenLogged) {
        this.listForbiddenLogged = true;
        this.logger.warn(
          { reason: reasonOf(error) },
          "could not list earlier Events (needs list on events); relying on Event names to avoid repeats",
        );
      }
      return;
    }
    for (const [key, { digest }] of newest) this.dedup.announced(key, digest);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const term = this.term;
    try {
      await this.primed;
      while (!this.stopped && term === this.term && this.queue.size > 0) {
        const [key, event] = this.queue.entries().next().value as [string, PendingEvent];
        if (this.dedup.isAnnounced(event)) {
          this.queue.delete(key);
          continue;
        }
        if (!this.bucket.tryTake()) {
          // The head stays queued (and may be replaced by a newer summary meanwhile).
          await sleep(this.bucket.waitMs());
          continue;
        }
        this.queue.delete(key);
        try {
          await this.send(event);
          this.dedup.announced(event.key, event.digest);
        } catch (error) {
          // Not recorded as announced: the next full audit observes the findings again.
          this.options.onWriteError?.(error);
          this.logger.warn({ event: event.name, namespace: event.namespace, reason: reasonOf(error) }, "could not record an Event");
        }
      }
      if (this.dropped > 0) {
        this.logger.info({ dropped: this.dropped }, "Event burst sent; the ones left out are sent after a later full audit");
        this.dropped = 0;
      }
    } finally {
      this.pumping = false;
    }
    // A new term began while this pump waited: start one that waits for the new term's listing.
    if (term !== this.term && !this.stopped && this.queue.size > 0) void this.pump();
  }

  private async send(event: PendingEvent): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: {
        name: event.name,
        namespace: event.namespace,
        labels: { [MANAGED_BY_LABEL]: EVENT_COMPONENT },
        annotations: { [DIGEST_ANNOTATION]: event.digest },
      },
      involvedObject: {
        apiVersion: event.ref.apiVersion,
        kind: event.ref.kind,
        name: event.ref.name,
        ...(event.ref.namespace ? { namespace: event.ref.namespace } : {}),
        ...(event.ref.uid ? { uid: event.ref.uid } : {}),
      },
      reason: EVENT_REASON,
      message: event.message,
      type: "Warning",
      action: "Audit",
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.options.identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.api.createNamespacedEvent({ namespace: event.namespace, body });
    } catch (error) {
      // 409: the same object with the same findings was announced before (an earlier leader
      // whose Events could not be listed): already said, not said again.
      if (statusOf(error) !== 409) throw error;
    }
  }
}
