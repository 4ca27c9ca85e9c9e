/**
 * Lazy expiry alone would keep entries that are never read again until LRU pressure pushes them
 * out, holding their memory; the sweep bounds that.
 */
const SWEEP_INTERVAL_MS = 30_000;

/**
 * One stored key. `expiresAt` is an epoch time in ms, `0` for never; `size` is what it weighs
 * against the byte budget: its key length plus its value length, or the lengths of its members.
 */
export type MemoryEntry = (
  | { kind: 'value'; value: Buffer; expiresAt: number; size: number }
  | { kind: 'set'; members: Set<string>; expiresAt: number; size: number }
) & {
  /** The value of the keyspace's move count when the entry was last put or moved. */
  moved?: number;
};

/**
 * The keyspace of the memory store: its entries bounded by a count and a byte budget, with
 * least-recently-used eviction and expiry. A `Map` iterates in insertion order, so re-inserting a
 * key on use keeps it ordered from least to most recently used — unless it is in the newer half
 * already (fewer than half the entries were put or moved since it was): re-inserting costs the map
 * a rehash now and then, and a hot entry read on every request would pay it all the time. The
 * order is then LRU to within half the entries among the newer half, and exact among the older.
 * Expired entries are reclaimed when read, and by a periodic sweep.
 */
export class MemoryEntries {
  /** Entries from least to most recently used. */
  private readonly entries = new Map<string, MemoryEntry>();
  private totalBytes = 0;
  /** Puts and moves so far (see {@link touch}). */
  private moves = 0;
  private sweepTimer: NodeJS.Timeout | undefined;

  /**
   * Bounds and their defaults are `MemoryStoreOptions`'.
   * @throws RangeError when a bound is not a positive number.
   */
  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    if (!(maxBytes > 0)) {
      throw new RangeError(`maxBytes must be a positive number, got ${maxBytes}`);
    }
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // The cache must never be the reason a process stays alive.
    this.sweepTimer.unref();
  }

  /** Number of entries held, including expired ones that have not been reclaimed yet. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held as counted against `maxBytes`, including expired entries not reclaimed yet. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The keys held now, from least to most recently used. */
  keys(): string[] {
    return Array.from(this.entries.keys());
  }

  /** The entry under `key` unless it is missing or expired; an expired one is reclaimed now. */
  live(key: string, now: number): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.remove(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Stores `entry` as the most recently used, replacing any previous one, then evicts.
   * @returns whether it was kept: an entry heavier than the whole budget is not.
   */
  put(key: string, entry: MemoryEntry): boolean {
    this.remove(key);
    entry.moved = ++this.moves;
    this.entries.set(key, entry);
    this.totalBytes += entry.size;
    this.evict(key);
    return entry.size <= this.maxBytes;
  }

  /** Marks an entry already held as the most recently used, and evicts if it grew. */
  touch(key: string, entry: MemoryEntry): void {
    // Not moved in the newer half already: fewer than half the entries went in after it.
    if (this.moves - (entry.moved ?? 0) >= this.entries.size >> 1) {
      entry.moved = ++this.moves;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    this.evict(key);
  }

  /** Changes an entry's weight by `delta` bytes (a set's members changed). */
  reweigh(entry: MemoryEntry, delta: number): void {
    entry.size += delta;
    this.totalBytes += delta;
  }

  /** Deletes `key` if present, keeping the byte count in step. */
  remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.size;
  }

  /** Stops the sweep and drops every entry. */
  clear(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.entries.clear();
    this.totalBytes = 0;
  }

  /**
   * Evicts least recently used entries until both bounds hold. `justWritten` goes first if it alone
   * exceeds the byte budget: otherwise every other entry would be evicted before reaching it.
   */
  private evict(justWritten: string): void {
    if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) return;
    const written = this.entries.get(justWritten);
    if (written && written.size > this.maxBytes) this.remove(justWritten);
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  /** Reclaims expired entries that nobody reads any more. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      // Deleting the current key while iterating a Map is safe: iteration continues with the next.
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.remove(key);
    }
  }
}
