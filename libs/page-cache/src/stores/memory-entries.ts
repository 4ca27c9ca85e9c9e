import { secondChance, type Reused } from './second-chance.js';

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
) &
  Reused;

/**
 * The keyspace of the memory store: its entries bounded by a count and a byte budget, with
 * eviction of entries not used lately (the second-chance rule: see `secondChance`) and expiry.
 * Expired entries are reclaimed when read, and by a periodic sweep.
 */
export class MemoryEntries {
  /** Entries from least to most recently put or given a second chance. */
  private readonly entries = new Map<string, MemoryEntry>();
  private totalBytes = 0;
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

  /** The keys held now, in the order they would be scanned for eviction. */
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
    entry.reused = false;
    this.entries.set(key, entry);
    this.totalBytes += entry.size;
    this.evict(key);
    return entry.size <= this.maxBytes;
  }

  /** Marks an entry already held as used, and evicts if it grew. */
  touch(key: string, entry: MemoryEntry): void {
    entry.reused = true;
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
   * Evicts entries not used lately until both bounds hold. `justWritten` goes first if it alone
   * exceeds the byte budget: otherwise every other entry would be evicted before reaching it; else
   * it is kept through one pass of the scan, as if just used.
   */
  private evict(justWritten: string): void {
    if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) return;
    const written = this.entries.get(justWritten);
    if (written && written.size > this.maxBytes) this.remove(justWritten);
    else if (written) written.reused = true;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const victim = secondChance(this.entries);
      if (victim === undefined) break;
      this.remove(victim);
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
