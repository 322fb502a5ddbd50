/** Milliseconds since some epoch; injected so that tests can move time. */
export type Clock = () => number;

export interface CacheHit<V> {
  value: V;
  /** Older than the TTL: still served (so that admission does not flicker) while a refresh runs. */
  stale: boolean;
  storedAt: number;
}

export interface TtlCacheOptions {
  ttlMs: number;
  /** How long past the TTL an entry is still served as stale; after that it is gone. Default: ttlMs. */
  staleForMs?: number;
  clock?: Clock;
}

/**
 * A map whose entries are fresh for `ttlMs`, then stale for `staleForMs`, then forgotten.
 * Stale-while-revalidate keeps answers stable between refreshes; the hard limit makes sure
 * that an AWS outage does not keep serving old facts forever.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; storedAt: number }>();
  private readonly ttlMs: number;
  private readonly staleForMs: number;
  private readonly clock: Clock;

  constructor(options: TtlCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.staleForMs = options.staleForMs ?? options.ttlMs;
    this.clock = options.clock ?? Date.now;
  }

  get(key: K): CacheHit<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const age = this.clock() - entry.storedAt;
    if (age >= this.ttlMs + this.staleForMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value, stale: age >= this.ttlMs, storedAt: entry.storedAt };
  }

  set(key: K, value: V): void {
    this.entries.set(key, { value, storedAt: this.clock() });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Every live (fresh or stale) entry. */
  *live(): IterableIterator<[K, CacheHit<V>]> {
    for (const key of [...this.entries.keys()]) {
      const hit = this.get(key);
      if (hit) yield [key, hit];
    }
  }
}
