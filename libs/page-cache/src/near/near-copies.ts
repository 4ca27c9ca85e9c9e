/** Longest a near copy is kept, whatever its own lifetime in the store says (ms). */
export const NEAR_COPY_CAP_MS = 60_000;

/** How many keys' last drops are remembered one by one; older ones fold into a floor. */
const DROP_MEMORY = 10_000;

/** Bytes a copy is counted for beyond its value: the key (UTF-16) and the map's own entry. */
const ENTRY_OVERHEAD = 64;

interface Copy {
  value: Buffer;
  /** {@link NearCopies.moves} when the copy was installed or last moved. */
  moved: number;
  /** `Date.now()` past which the copy is not served. */
  expiresAt: number;
  bytes: number;
}

/**
 * Near copies of store values, in process memory: an LRU (a copy in the newer half is not moved
 * on use) bounded by bytes, each copy also bounded
 * by its own lifetime. It does not know about leases; its one rule of consistency is the install
 * ticket: a read through the store takes a {@link ticket} before it is sent, and its result
 * {@link install}s only if no drop of any of its keys (and no drop of everything) happened since.
 * A read sent before an invalidation was handled and answered after it would otherwise bring the
 * old value back. Last drops are kept per key in a bounded map; when one is forgotten, its
 * sequence raises a floor that every forgotten key is judged by (an extra miss, never a stale copy).
 */
export class NearCopies {
  private readonly copies = new Map<string, Copy>();
  private readonly lastDrop = new Map<string, number>();
  private sequence = 0;
  /** Sequence of the last drop of a key no longer in {@link lastDrop}, or of everything. */
  private floor = 0;
  private held = 0;
  /** Installs and moves so far: a copy used again is moved only if it is in the older half. */
  private moves = 0;
  /** Changes of what is held (installs, removals, drops): {@link getAll}'s memo is checked by it. */
  private changes = 0;
  /** The last {@link getAll}: a copy of its keys, its values, and until when it holds. */
  private lastAll:
    | { keys: readonly string[]; changes: number; expiresAt: number; values: readonly Buffer[] }
    | undefined;

  constructor(
    readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Number of copies held. */
  get size(): number {
    return this.copies.size;
  }

  /** Bytes held (values, keys and a fixed overhead per copy). */
  get bytes(): number {
    return this.held;
  }

  /** The copy of `key` while it lives, marked as the most recently used. */
  get(key: string, now = this.now()): Buffer | undefined {
    return this.live(key, now)?.value;
  }

  /**
   * The copies of every one of `keys` while they all live, else `undefined`. The same frozen
   * array for the same keys while nothing held changed and none expired: a hot page's hits read no
   * map.
   */
  getAll(keys: readonly string[], now = this.now()): readonly Buffer[] | undefined {
    const last = this.lastAll;
    if (
      last !== undefined &&
      last.changes === this.changes &&
      now < last.expiresAt &&
      sameKeys(last.keys, keys)
    ) {
      return last.values;
    }
    const values: Buffer[] = [];
    let expiresAt = Infinity;
    for (const key of keys) {
      const copy = this.live(key, now);
      if (copy === undefined) return undefined;
      values.push(copy.value);
      if (copy.expiresAt < expiresAt) expiresAt = copy.expiresAt;
    }
    Object.freeze(values);
    // Its own copy of the keys: a caller may fill the same array with others.
    this.lastAll = { keys: keys.slice(), changes: this.changes, expiresAt, values };
    return values;
  }

  private live(key: string, now: number): Copy | undefined {
    const copy = this.copies.get(key);
    if (copy === undefined) return undefined;
    if (copy.expiresAt <= now) {
      this.remove(key, copy);
      return undefined;
    }
    // Moved to the newest end only from the older half: a hot copy read on every hit is not
    // re-inserted each time (which costs the map a rehash now and then).
    if (this.moves - copy.moved >= this.copies.size >> 1) {
      copy.moved = ++this.moves;
      this.copies.delete(key);
      this.copies.set(key, copy);
    }
    return copy;
  }

  /** What a read through the store takes before it is sent (see {@link install}). */
  ticket(): number {
    return this.sequence;
  }

  /**
   * Keeps `value` as the copy of `key` for at most `ttlMs`, unless `key` (or everything) was
   * dropped since `ticket` was taken. @returns whether it was kept.
   */
  install(ticket: number, key: string, value: Buffer, ttlMs: number): boolean {
    // A lifetime that is not a positive number (a reply that was not PTTL's) keeps nothing.
    if (!this.installable(ticket, key) || !(ttlMs > 0)) return false;
    const bytes = value.length + 2 * key.length + ENTRY_OVERHEAD;
    if (bytes > this.maxBytes) return false;
    const previous = this.copies.get(key);
    if (previous) this.remove(key, previous);
    this.changes++;
    this.copies.set(key, {
      value,
      moved: ++this.moves,
      expiresAt: this.now() + Math.min(ttlMs, NEAR_COPY_CAP_MS),
      bytes,
    });
    this.held += bytes;
    for (const [oldest, copy] of this.copies) {
      if (this.held <= this.maxBytes) break;
      this.remove(oldest, copy);
    }
    return true;
  }

  /** Whether a read that took `ticket` may install its value of `key`. */
  installable(ticket: number, key: string): boolean {
    return (this.lastDrop.get(key) ?? this.floor) <= ticket;
  }

  /** Drops the copies of `keys`; reads in flight for them install nothing. */
  drop(keys: readonly string[]): void {
    const sequence = ++this.sequence;
    this.changes++;
    for (const key of keys) {
      const copy = this.copies.get(key);
      if (copy) this.remove(key, copy);
      this.lastDrop.delete(key);
      this.lastDrop.set(key, sequence);
    }
    for (const [key, dropped] of this.lastDrop) {
      if (this.lastDrop.size <= DROP_MEMORY) break;
      this.lastDrop.delete(key);
      this.floor = Math.max(this.floor, dropped);
    }
  }

  /** Drops every copy; no read in flight installs anything. */
  dropAll(): void {
    this.floor = ++this.sequence;
    this.changes++;
    this.lastDrop.clear();
    this.copies.clear();
    this.held = 0;
  }

  private remove(key: string, copy: Copy): void {
    this.changes++;
    this.copies.delete(key);
    this.held -= copy.bytes;
  }
}

/** Whether two key lists are the same keys in the same order. */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
