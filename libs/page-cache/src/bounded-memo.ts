/**
 * A memo for values derived from request text on the hit path (digests, lookup tags, page
 * locations): bounded by entries and by weight (what a key and its value cost; the key's length
 * by default), oldest first out, and never for keys longer than `maxKeyLength` (a 15 KB URL costs
 * more to keep than to derive again). Unique or huge requests cannot grow the heap.
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, { value: V; weight: number }>();
  private held = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number,
    readonly maxKeyLength: number,
  ) {}

  get(key: string): V | undefined {
    return this.values.get(key)?.value;
  }

  /** Remembers `value` under `key` unless the key is too long; evicts the oldest to make room. */
  set(key: string, value: V, weight = key.length): void {
    if (key.length > this.maxKeyLength || weight > this.maxWeight) return;
    const previous = this.values.get(key);
    if (previous !== undefined) {
      this.values.delete(key);
      this.held -= previous.weight;
    }
    while (
      this.values.size > 0 &&
      (this.values.size >= this.maxEntries || this.held + weight > this.maxWeight)
    ) {
      const [oldest, entry] = this.values.entries().next().value!;
      this.values.delete(oldest);
      this.held -= entry.weight;
    }
    this.values.set(key, { value, weight });
    this.held += weight;
  }

  /** Entries held and their total weight. */
  size(): { entries: number; weight: number } {
    return { entries: this.values.size, weight: this.held };
  }
}
