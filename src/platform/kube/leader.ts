/**
 * Lease-based leader election (coordination.k8s.io/v1), the algorithm of client-go's
 * leaderelection: the holder renews `renewTime` every `retryPeriod`; a candidate takes the
 * lease over once it has seen no change to it for `leaseDuration`, measured on its own
 * clock from when it observed the last change (so clock skew between replicas does not
 * matter). Every write carries the resourceVersion read, so two candidates cannot both
 * win (the loser gets 409 Conflict). A leader that cannot renew within `renewDeadline`
 * steps down before anyone else may take over. @kubernetes/client-node 2.x has no
 * election helper, hence this file.
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { reasonOf, statusOf } from "./informer.js";
import { componentLogger, type Logger } from "../telemetry/logging.js";
import { jitterUp } from "../util/backoff.js";

export interface LeaseSettings {
  name: string;
  namespace: string;
  /** This replica's identity (pod name). */
  identity: string;
  /** How long a lease is valid after its last renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long (< leaseDuration). Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  /** A read or write of the Lease failed (for the write-errors metric). */
  onRequestError?(error: unknown): void;
}

const toMs = (t: Date | string | undefined): number | undefined => (t === undefined ? undefined : new Date(t).getTime());

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private attempt: Promise<void> | undefined;
  /** The last lease record seen, and when (local clock) it last changed. */
  private observed: { record: string; at: number } | undefined;
  private lastRenewal = 0;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: Logger;

  constructor(
    kubeConfig: KubeConfig,
    private readonly settings: LeaseSettings,
    private readonly callbacks: LeaderCallbacks,
    logger: Logger,
  ) {
    this.logger = componentLogger(logger, "lease");
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.leaseDurationMs = settings.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = settings.renewDeadlineMs ?? Math.min(10_000, Math.floor((this.leaseDurationMs * 2) / 3));
    this.retryPeriodMs = settings.retryPeriodMs ?? Math.min(2_000, Math.max(100, Math.floor(this.leaseDurationMs / 5)));
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error(`lease: renewDeadline (${this.renewDeadlineMs} ms) must be shorter than leaseDuration (${this.leaseDurationMs} ms)`);
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.settings.identity;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Stops campaigning. A leader releases the lease so another replica takes over at once;
   * with `releaseLease: false` (API server unreachable) the lease simply expires.
   */
  async stop(options: { releaseLease?: boolean } = {}): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.attempt;
    if (this.leading && options.releaseLease !== false) {
      await this.release().catch((error: unknown) =>
        this.logger.warn({ reason: reasonOf(error) }, "could not release the lease; it expires by itself"),
      );
    }
    this.setLeading(false);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.attempt = this.tick().finally(() => {
        this.attempt = undefined;
        // Jitter for candidates, so they do not hit the API server in lockstep.
        this.schedule(this.leading ? this.retryPeriodMs : jitterUp(this.retryPeriodMs, 0.2));
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (error) {
      this.callbacks.onRequestError?.(error);
      this.logger.warn({ lease: this.leaseLabel, reason: reasonOf(error) }, "could not read or write the lease");
    }
    if (!this.running) return;
    if (acquired) {
      this.lastRenewal = Date.now();
      this.setLeading(true);
    } else if (this.leading && Date.now() - this.lastRenewal >= this.renewDeadlineMs) {
      this.logger.warn({ lease: this.leaseLabel, renewDeadlineMs: this.renewDeadlineMs }, "could not renew in time; stepping down");
      this.setLeading(false);
    }
  }

  private get leaseLabel(): string {
    return `${this.settings.namespace}/${this.settings.name}`;
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.info(
      { lease: this.leaseLabel, identity: this.settings.identity, leader: leading },
      leading ? "became the leader" : "no longer the leader",
    );
    try {
      if (leading) this.callbacks.onStartedLeading();
      else this.callbacks.onStoppedLeading();
    } catch (error) {
      this.logger.error({ err: error }, "leadership callback failed");
    }
  }

  /** True when this replica holds the lease after the attempt. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity } = this.settings;
    const now = Date.now();
    const durationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: new V1MicroTime(now),
              renewTime: new V1MicroTime(now),
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (createError) {
        if (statusOf(createError) === 409) return false; // another candidate created it first
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const record = JSON.stringify([holder, toMs(spec.renewTime), spec.leaseDurationSeconds, lease.metadata?.resourceVersion]);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const heldByOther = holder !== "" && holder !== identity;
    // The holder's own duration, in case replicas run with different settings.
    const theirDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && this.observed.at + theirDurationMs > now) return false;
    const body: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: new V1MicroTime(now),
        acquireTime: holder === identity && spec.acquireTime ? new V1MicroTime(toMs(spec.acquireTime)!) : new V1MicroTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
      },
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body });
    } catch (error) {
      if (statusOf(error) === 409) return false; // someone else wrote it in between
      throw error;
    }
    if (heldByOther) this.logger.info({ lease: this.leaseLabel, previous: holder }, "took over an expired lease");
    return true;
  }

  /** Gives the lease up: empty holder, so candidates need not wait for it to expire. */
  private async release(): Promise<void> {
    const { name, namespace, identity } = this.settings;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.now()) } },
    });
  }
}
