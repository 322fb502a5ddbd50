/**
 * Kubernetes Events (core/v1, type Warning, reason = rule id) on the offending object,
 * deduplicated: the same object + rule + message produces one Event, re-emitted at most
 * once per `reemitAfterMs` (default 1 h) while the finding persists, and again as soon as
 * it reappears after being fixed.
 *
 * Event names are derived from that identity, so a new leader (or a restarted process)
 * that sees the finding again gets 409 AlreadyExists instead of a duplicate Event; it then
 * only bumps the existing Event's count when the re-emit interval has passed.
 * Memory is bounded: one entry per current finding, capped at `maxTracked` (oldest evicted).
 */
import { createHash } from "node:crypto";
import { CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import { reasonOf, statusOf } from "../kube/informer.js";
import type { Logger } from "../logging.js";
import { objectKey } from "../model/refs.js";
import type { Finding } from "../model/findings.js";
import type { ResourceRef } from "../model/types.js";

export const EVENT_COMPONENT = "s3-vpce-guard";
/** Namespace for Events about cluster-scoped objects (as kubectl and the kubelet do). */
export const CLUSTER_EVENT_NAMESPACE = "default";
const MAX_MESSAGE = 1024;

export interface PendingEvent {
  /** Dedup identity (object + uid + rule + message). */
  id: string;
  /** Deterministic Event name. */
  name: string;
  namespace: string;
  ref: ResourceRef;
  rule: string;
  message: string;
}

export function eventIdentity(ref: ResourceRef, finding: Pick<Finding, "rule" | "message">): string {
  return `${objectKey(ref)}\u0000${ref.uid ?? ""}\u0000${finding.rule}\u0000${finding.message}`;
}

export function pendingEvent(ref: ResourceRef, finding: Pick<Finding, "rule" | "message" | "path">): PendingEvent {
  const id = eventIdentity(ref, finding);
  const digest = createHash("sha256").update(id).digest("hex").slice(0, 16);
  // Event names are DNS subdomains (≤ 253); object names are too, so cut the prefix.
  const name = `${ref.name.slice(0, 200)}.s3vg-${digest}`;
  const text = `${finding.message} (field: ${finding.path})`;
  return {
    id,
    name,
    namespace: ref.namespace ?? CLUSTER_EVENT_NAMESPACE,
    ref,
    rule: finding.rule,
    message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text,
  };
}

export interface DeduplicatorOptions {
  reemitAfterMs?: number;
  maxTracked?: number;
}

/**
 * Decides which findings need an Event now. Pure bookkeeping (no I/O): `observe` an
 * object's current findings, get back the events to send; `sent` once the API accepted one.
 */
export class EventDeduplicator {
  private readonly lastSent = new Map<string, number>();
  private readonly byObject = new Map<string, Set<string>>();
  private readonly reemitAfterMs: number;
  private readonly maxTracked: number;

  constructor(options: DeduplicatorOptions = {}) {
    this.reemitAfterMs = options.reemitAfterMs ?? 3_600_000;
    this.maxTracked = options.maxTracked ?? 50_000;
  }

  get tracked(): number {
    return this.lastSent.size;
  }

  /** The findings of `ref` now; returns those that need an Event. Fixed findings are forgotten. */
  observe(ref: ResourceRef, findings: readonly Finding[], now = Date.now()): PendingEvent[] {
    const key = objectKey(ref);
    const current = new Set<string>();
    const due: PendingEvent[] = [];
    for (const finding of findings) {
      const event = pendingEvent(ref, finding);
      if (current.has(event.id)) continue;
      current.add(event.id);
      const last = this.lastSent.get(event.id);
      if (last === undefined || now - last >= this.reemitAfterMs) due.push(event);
    }
    for (const id of this.byObject.get(key) ?? []) if (!current.has(id)) this.lastSent.delete(id);
    if (current.size > 0) this.byObject.set(key, current);
    else this.byObject.delete(key);
    return due;
  }

  /** The object is gone: forget its findings (an object re-created later gets fresh Events). */
  forget(ref: ResourceRef): void {
    const key = objectKey(ref);
    for (const id of this.byObject.get(key) ?? []) this.lastSent.delete(id);
    this.byObject.delete(key);
  }

  sent(id: string, now = Date.now()): void {
    this.lastSent.delete(id);
    this.lastSent.set(id, now);
    while (this.lastSent.size > this.maxTracked) {
      const oldest = this.lastSent.keys().next().value as string;
      this.lastSent.delete(oldest);
    }
  }

  clear(): void {
    this.lastSent.clear();
    this.byObject.clear();
  }
}

export interface EventRecorderOptions extends DeduplicatorOptions {
  /** Instance name in the Event's source (the replica identity). */
  identity: string;
  /** Events sent per second at most (API server protection after a big first audit). Default 20. */
  ratePerSecond?: number;
  /** Events waiting to be sent at most; more are dropped and retried at the next full audit. Default 2000. */
  maxQueued?: number;
  /** Told of every Event that could not be written (for the write-errors metric). */
  onWriteError?: (error: unknown) => void;
}

/** Sends the deduplicator's events through the API, rate-limited, never throwing. */
export class EventRecorder {
  readonly dedup: EventDeduplicator;
  private readonly api: CoreV1Api;
  private readonly queue = new Map<string, PendingEvent>();
  private pumping = false;
  private stopped = false;
  private dropped = 0;

  constructor(
    kubeConfig: KubeConfig,
    private readonly logger: Logger,
    private readonly options: EventRecorderOptions,
  ) {
    this.dedup = new EventDeduplicator(options);
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Queues Events for the object's findings that need one. */
  observe(ref: ResourceRef, findings: readonly Finding[]): void {
    for (const event of this.dedup.observe(ref, findings)) {
      if (this.queue.has(event.id)) continue;
      if (this.queue.size >= (this.options.maxQueued ?? 2000)) {
        if (this.dropped++ === 0) {
          this.logger.warn(
            { maxQueued: this.options.maxQueued ?? 2000, ratePerSecond: this.options.ratePerSecond ?? 20 },
            "reconciler: too many Events at once; leaving some out for now (sent after a later full audit)",
          );
        }
        continue;
      }
      this.queue.set(event.id, event);
    }
    void this.pump();
  }

  forget(ref: ResourceRef): void {
    this.dedup.forget(ref);
  }

  /** Stops sending; queued events are dropped (a new leader sends them). */
  stop(): void {
    this.stopped = true;
    this.queue.clear();
  }

  resume(): void {
    this.stopped = false;
  }

  /** Forget everything (leadership lost: the next leader owns the Events). */
  reset(): void {
    this.queue.clear();
    this.dedup.clear();
  }

  get queued(): number {
    return this.queue.size;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const interval = 1000 / (this.options.ratePerSecond ?? 20);
    try {
      while (!this.stopped && this.queue.size > 0) {
        const [id, event] = this.queue.entries().next().value as [string, PendingEvent];
        this.queue.delete(id);
        const started = Date.now();
        try {
          await this.send(event);
          this.dedup.sent(id);
        } catch (error) {
          // Not recorded as sent: the next full audit observes the finding again.
          this.options.onWriteError?.(error);
          this.logger.warn({ event: event.name, namespace: event.namespace, reason: reasonOf(error) }, "reconciler: could not record an Event");
        }
        const wait = interval - (Date.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (this.dropped > 0) this.reportDropped();
    } finally {
      this.pumping = false;
    }
  }

  /** One line per burst (with the count), not per dropped Event. */
  private reportDropped(): void {
    this.logger.info({ dropped: this.dropped }, "reconciler: Event burst sent; the ones left out are sent after a later full audit");
    this.dropped = 0;
  }

  private async send(event: PendingEvent): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { name: event.name, namespace: event.namespace, labels: { "app.kubernetes.io/managed-by": EVENT_COMPONENT } },
      involvedObject: {
        apiVersion: event.ref.apiVersion,
        kind: event.ref.kind,
        name: event.ref.name,
        ...(event.ref.namespace ? { namespace: event.ref.namespace } : {}),
        ...(event.ref.uid ? { uid: event.ref.uid } : {}),
      },
      reason: event.rule,
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
      return;
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    // Recorded before (by us or an earlier leader): bump it only when it is old.
    const existing = await this.api.readNamespacedEvent({ name: event.name, namespace: event.namespace });
    const last = existing.lastTimestamp ? new Date(existing.lastTimestamp).getTime() : 0;
    if (now.getTime() - last < (this.options.reemitAfterMs ?? 3_600_000)) return;
    await this.api.replaceNamespacedEvent({
      name: event.name,
      namespace: event.namespace,
      body: { ...existing, count: (existing.count ?? 1) + 1, lastTimestamp: now, message: event.message },
    });
  }
}
