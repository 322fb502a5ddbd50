/**
 * The cluster's objects of every kind of the README's "Resources understood", plus Namespaces, kept in an `Inventory` by
 * informers. Shared by the webhook (cross-resource rules at admission) and the reconciler
 * (audit on change). Kinds whose CRD is installed later are picked up by periodic discovery,
 * without a restart.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { InventoryAdapter } from "../../core/adapters/inventory-adapter.js";
import { NAMESPACE_KIND, WATCHED_KINDS, type WatchedKind } from "../../core/model/kinds.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import { componentLogger, type Logger } from "../telemetry/logging.js";
import { Backoff, sleep } from "../util/backoff.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { ResourceRef } from "../../core/model/types.js";
import { chooseVersions, customResourceClient, discoverServedApis, groupKindOf, namespaceClient, type ServedApis } from "./discovery.js";
import { reasonOf, ResourceInformer, type InformerOptions, type RawObject, type ResourceClient, type RestartReason } from "./informer.js";

import type { InventoryChange } from "../../core/inventory/change.js";
export type { InventoryChange };

export type InventoryListener = (change: InventoryChange) => void;

export interface ClusterInventoryOptions {
  kubeConfig: KubeConfig;
  inventory: Inventory;
  /** Turns a listed or watched object into the model (core inventoryAdapter(inventory, config)). */
  adapt: InventoryAdapter;
  logger: Logger;
  metrics?: Metrics;
  /** How often to look for CRDs installed or removed since. Default 30 s. */
  discoveryIntervalMs?: number;
  /** Informer tuning (watchdog, backoff, page size); `logger` and `onRestart` are set here. */
  informer?: Omit<InformerOptions, "logger" | "onRestart">;
  /** The kinds to watch when served; default every kind of README "Resources understood". */
  kinds?: readonly WatchedKind[];
  /** Discovery source; tests may pin it. Default: the API server's discovery endpoints. */
  discover?: () => Promise<ServedApis>;
}

interface Watched {
  kind: WatchedKind | typeof NAMESPACE_KIND;
  informer: ResourceInformer;
  /** namespace/name → the ref stored in the inventory, to remove deleted objects. */
  known: Map<string, ResourceRef>;
}

const objectName = (raw: RawObject): string => `${raw.metadata?.namespace ?? ""}/${raw.metadata?.name ?? ""}`;

export class ClusterInventory {
  readonly inventory: Inventory;
  /** Resolves once every watched kind has been listed once (then `inventory.complete` is true). */
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private readonly listeners = new Set<InventoryListener>();
  private readonly watched = new Map<string, Watched>();
  private namespaces: Watched | undefined;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private discovering: Promise<void> | undefined;
  /** group/kind → consecutive discoveries that did not list it. */
  private readonly missing = new Map<string, number>();
  private readonly kinds: readonly WatchedKind[];
  /** Retries of the first API discovery; stop() ends a running wait. */
  private discoveryBackoff = new Backoff({ initialMs: 1_000, maxMs: 30_000 });

  constructor(private readonly options: ClusterInventoryOptions) {
    this.inventory = options.inventory;
    this.kinds = options.kinds ?? WATCHED_KINDS;
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    this.log = componentLogger(options.logger, "inventory");
  }

  get isSynced(): boolean {
    return this.inventory.complete;
  }

  /** The group/kinds being watched now, e.g. "VPCEndpoint.ec2.aws.upbound.io@v1beta2". */
  watchedKinds(): string[] {
    return [...this.watched.values()].map((w) => `${groupKindOf(w.kind as WatchedKind)}@${w.kind.version}`).sort();
  }

  /** Called on every change of the inventory; returns a function that unsubscribes. */
  onChange(listener: InventoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts watching; returns at once. Await `synced` for the first complete inventory. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.discoveryBackoff = new Backoff({ initialMs: 1_000, maxMs: 30_000 });
    void this.bootstrap();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.discoveryBackoff.stop();
    clearInterval(this.discoveryTimer);
    await this.discovering;
    await Promise.all(this.allWatched().map((w) => w.informer.stop()));
    this.watched.clear();
    this.namespaces = undefined;
  }

  private readonly log: Logger;

  private async bootstrap(): Promise<void> {
    // Namespaces first: ACK objects take their default region from their namespace.
    this.namespaces = this.startInformer(NAMESPACE_KIND, namespaceClient(this.options.kubeConfig));
    await Promise.race([this.namespaces.informer.firstSync, sleep(10_000)]);
    while (!this.stopped) {
      try {
        await this.rediscover();
        break;
      } catch (error) {
        const delay = this.discoveryBackoff.next();
        this.log.warn({ reason: reasonOf(error), retryInMs: delay }, "API discovery failed; retrying");
        await this.discoveryBackoff.wait(delay);
      }
    }
    if (this.stopped) return;
    this.discoveryTimer = setInterval(() => {
      void this.rediscover().catch((error: unknown) =>
        this.log.warn({ reason: reasonOf(error) }, "periodic API discovery failed; keeping the current watches"),
      );
    }, this.options.discoveryIntervalMs ?? 30_000);
    this.discoveryTimer.unref();
    await Promise.all([this.namespaces.informer.firstSync, ...[...this.watched.values()].map((w) => w.informer.firstSync)]);
    if (this.stopped) return;
    // From here on, kinds discovered later start empty and fill within one list: the
    // inventory stays complete (their CRDs are new, so they hold few or no objects yet).
    this.inventory.complete = true;
    this.log.info({ kinds: this.watchedKinds(), objects: this.inventory.size }, "first sync complete");
    this.resolveSynced();
  }

  /** Starts informers for newly served kinds, stops those whose CRD is gone. */
  rediscover(): Promise<void> {
    this.discovering ??= this.rediscoverOnce().finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  private async rediscoverOnce(): Promise<void> {
    const served = await (this.options.discover ?? (() => discoverServedApis(this.options.kubeConfig, this.kinds)))();
    if (this.stopped) return;
    const wanted = chooseVersions(this.kinds, served);
    for (const [key, current] of this.watched) {
      const next = wanted.get(key);
      if (next && next.version === current.kind.version) {
        this.missing.delete(key);
        continue;
      }
      // A kind absent from one discovery may be a hiccup (an aggregated API timing out):
      // dropping its objects would make cross-resource rules report false findings. Only
      // the second discovery in a row without it counts as "CRD removed".
      if (!next) {
        const misses = (this.missing.get(key) ?? 0) + 1;
        this.missing.set(key, misses);
        if (misses < 2) continue;
      }
      this.missing.delete(key);
      await current.informer.stop();
      this.watched.delete(key);
      if (next) {
        // Same objects through another version: keep them, the new list replaces them.
        this.options.metrics?.watchRestarts.inc({ kind: key, reason: "crd-changed" });
        const replacement = this.startInformer(next, customResourceClient(this.options.kubeConfig, next), current.known);
        this.watched.set(key, replacement);
        this.log.info({ resource: key, version: next.version }, "watching another version of a kind");
      } else {
        for (const name of [...current.known.keys()]) this.removeKnown(current, name);
        this.log.info({ resource: key }, "kind no longer served (CRD removed); stopped watching it");
      }
    }
    for (const [key, kind] of wanted) {
      if (this.watched.has(key)) continue;
      this.watched.set(key, this.startInformer(kind, customResourceClient(this.options.kubeConfig, kind)));
      this.log.info({ resource: key, version: kind.version }, "watching a kind");
    }
  }

  private startInformer(kind: Watched["kind"], client: ResourceClient, known = new Map<string, ResourceRef>()): Watched {
    const entry: Watched = { kind, known, informer: undefined as unknown as ResourceInformer };
    entry.informer = new ResourceInformer(
      this.options.kubeConfig,
      client,
      {
        replace: (items) => this.replace(entry, items),
        event: (type, object) => (type === "DELETED" ? this.removeKnown(entry, objectName(object)) : this.apply(entry, object)),
      },
      {
        ...this.options.informer,
        logger: this.log,
        onRestart: (reason: RestartReason) => this.options.metrics?.watchRestarts.inc({ kind: client.label, reason }),
        onRecovered: () => this.retryOthersNow(entry),
      },
    );
    entry.informer.start();
    return entry;
  }

  private allWatched(): Watched[] {
    return [...this.watched.values(), ...(this.namespaces ? [this.namespaces] : [])];
  }

  /** One watch reached the API server again: the others stop waiting out their backoff. */
  private retryOthersNow(recovered: Watched): void {
    for (const w of this.allWatched()) {
      if (w !== recovered) w.informer.retryNow();
    }
  }

  private replace(entry: Watched, items: RawObject[]): void {
    const present = new Set<string>();
    for (const item of items) {
      present.add(objectName(item));
      this.apply(entry, item);
    }
    for (const name of [...entry.known.keys()]) if (!present.has(name)) this.removeKnown(entry, name);
  }

  private apply(entry: Watched, raw: RawObject): void {
    const name = objectName(raw);
    const result = this.options.adapt(raw);
    if (result.status !== "adapted") {
      // Not modelable (the API server's schema normally prevents this): it cannot take part
      // in cross-resource rules, so it must not linger in its previous form either.
      this.log.debug({ resource: entry.informer.client.label, name, result }, "object not modelled");
      this.removeKnown(entry, name);
      return;
    }
    const object = result.object;
    const previous = this.inventory.upsert(object);
    entry.known.set(name, object.ref);
    if (object.type === "Namespace") {
      const before = previous?.type === "Namespace" ? previous.defaultRegion : undefined;
      // Also when the namespace is new to us: its ACK objects may have been listed first.
      if (before !== object.defaultRegion) this.relistAckKinds(object.name);
    }
    this.emit(previous ? { type: "upsert", object, previous } : { type: "upsert", object });
  }

  private removeKnown(entry: Watched, name: string): void {
    const ref = entry.known.get(name);
    if (!ref) return;
    entry.known.delete(name);
    const previous = this.inventory.remove(ref);
    if (previous) this.emit({ type: "remove", object: previous });
  }

  /** A namespace's default region changed: ACK objects in it must be adapted again. */
  private relistAckKinds(namespace: string): void {
    for (const w of this.watched.values()) {
      if ("family" in w.kind && w.kind.family === "ack") {
        this.log.info({ namespace, resource: w.informer.client.label }, "namespace default region changed; relisting ACK objects");
        w.informer.relist();
      }
    }
  }

  private emit(change: InventoryChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.log.error({ err: error }, "change listener failed");
      }
    }
  }
}
