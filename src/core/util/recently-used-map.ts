/**
 * A map bounded by the total weight of its entries, which drops entries not used since the
 * eviction last passed them (the CLOCK policy). A hit only sets a flag: a cache that moved its
 * entry to the end on every hit (delete, then set) made the Map rehash its table every few
 * hundred hits, and each new table outlived two young collections into the old generation
 * (340 bytes per webhook review, a major collection every 10 s under load).
 */
export class RecentlyUsedMap<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number; used: boolean }>();
  private total = 0;

  /** `onEvict` hears of every entry dropped to make room (not of delete() or a replaced value). */
  constructor(
    private readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** Stores the value unless its weight alone is over the capacity; drops what it must to fit. */
  set(key: K, value: V, weight = 1): void {
    if (weight > this.capacity) return;
    this.delete(key);
    while (this.total + weight > this.capacity) this.evictOne();
    this.entries.set(key, { value, weight, used: false });
    this.total += weight;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }

  /** From the oldest: a used entry gets a second chance (flag cleared, moved to the end), the first unused one goes. */
  private evictOne(): void {
    for (const [key, entry] of this.entries) {
      this.entries.delete(key);
      if (entry.used) {
        entry.used = false;
        this.entries.set(key, entry);
        continue;
      }
      this.total -= entry.weight;
      this.onEvict?.(key, entry.value);
      return;
    }
  }
}
