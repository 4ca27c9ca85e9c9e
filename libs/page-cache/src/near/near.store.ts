import type {
  CacheStore,
  StoreDeleteOptions,
  StoreSetOptions,
} from '../stores/cache-store.interface.js';
import type { Announced, NearAnnouncer, StoreCall } from './near-announcer.js';
import type { NearHolder } from './near-holder.js';
import type { LeaseState } from './near-lease.js';

/** What `stats().near` shows. */
export interface NearStats {
  /** Reads answered from near copies (0 commands sent to Redis). */
  hits: number;
  /** Copies held now, and their bytes. */
  copies: number;
  bytes: number;
  lease: LeaseState;
  /** Invalidations that waited for holders, and the longest wait (ms). */
  invalidationWaits: { count: number; maxMs: number };
}

/** A read of some keys sent to Redis: its epoch, the copies' ticket it took, its answer. */
interface Flight {
  epoch: string | undefined;
  ticket: number;
  values: Promise<(Buffer | undefined)[]>;
}

/**
 * The Redis store with near copies in front of it (with a holder), and with acknowledged
 * invalidation in any case. Reads of string keys (`get`, `getMany`) are answered from near
 * copies when every key asked is held and the lease is usable — nothing is sent to Redis —
 * otherwise with one call to Redis, whose present values are installed under the ticket rule
 * (see `NearCopies`), each for no longer than Redis keeps it. Every write that can outdate a copy
 * held anywhere is announced once Redis applied it, and resolves only when every live holder
 * acknowledged or its lease ran out (see `NearAnnouncer`). Sets, scans and TTLs go straight to
 * Redis. Entries deleted as `outdated` are announced without waiting. `getHead` (reading a
 * page's header to reuse a body) is left out while near copies are kept: they answer the whole
 * read from memory.
 */
export class NearStore implements CacheStore {
  /** The epoch the copies were read in; a new one drops them all. */
  private epochSeen: string | undefined;
  /** Reads sent to Redis and not answered yet, by their keys (see `read`). */
  private readonly inFlight = new Map<string, Flight>();
  readonly getHead?: CacheStore['getHead'];

  constructor(
    readonly inner: CacheStore,
    readonly announcer: NearAnnouncer,
    readonly holder?: NearHolder,
    /**
     * Runs a command as one call to the store (its timeout and breaker): given, deletes are
     * made with their announcement in one script call where Redis allows it.
     */
    private readonly call?: StoreCall,
  ) {
    const head = inner.getHead?.bind(inner);
    if (head && holder === undefined) this.getHead = head;
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (this.holder === undefined) return this.inner.get(key);
    return (await this.read([key], keys => this.inner.get(keys[0]).then(value => [value])))[0];
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (this.holder === undefined || keys.length === 0) return this.inner.getMany(keys);
    return this.read(keys, asked => this.inner.getMany(asked));
  }

  /** The copies of `keys` when every one is held, the lease usable and the epoch unchanged. */
  getManyNow(keys: readonly string[]): readonly Buffer[] | undefined {
    const holder = this.holder;
    if (holder === undefined || keys.length === 0) return undefined;
    const epoch = this.inner.epoch?.();
    // A changed epoch is handled by `read` (everything held is dropped first).
    if (epoch === undefined || epoch !== this.epochSeen) return undefined;
    return holder.serve(keys);
  }

  private async read(
    keys: readonly string[],
    fetch: (keys: readonly string[]) => Promise<(Buffer | undefined)[]>,
  ): Promise<(Buffer | undefined)[]> {
    const holder = this.holder!;
    const epoch = this.inner.epoch?.();
    if (epoch !== this.epochSeen) {
      // Another life of the server's data (a restart, a failover): nothing held is known good,
      // and the lease may have been lost with the writes that renewed it.
      holder.copies.dropAll();
      if (this.epochSeen !== undefined) holder.lease.lost();
      this.epochSeen = epoch;
    }
    if (epoch !== undefined) {
      const held = holder.serve(keys);
      if (held) return held.slice();
    }
    // Copies that expire together (or a cold start) would otherwise send one read per request in
    // flight for the same keys. A read in flight is joined only while its answer could still be
    // installed: sent in this epoch, the lease usable, and none of its keys dropped since it was
    // sent — any invalidation that resolved before this read began was heard here, and voided it.
    const id = JSON.stringify(keys);
    const flight = this.inFlight.get(id);
    if (
      flight !== undefined &&
      epoch !== undefined &&
      flight.epoch === epoch &&
      holder.lease.usable() &&
      keys.every(key => holder.copies.installable(flight.ticket, key))
    ) {
      return (await flight.values).slice();
    }
    const ticket = holder.copies.ticket();
    const values = this.readAndInstall(keys, fetch, epoch, ticket);
    this.inFlight.set(id, { epoch, ticket, values });
    try {
      return await values;
    } finally {
      if (this.inFlight.get(id)?.values === values) this.inFlight.delete(id);
    }
  }

  /** Reads `keys` from Redis with their lifetimes, and installs what may be (the ticket rule). */
  private async readAndInstall(
    keys: readonly string[],
    fetch: (keys: readonly string[]) => Promise<(Buffer | undefined)[]>,
    epoch: string | undefined,
    ticket: number,
  ): Promise<(Buffer | undefined)[]> {
    const holder = this.holder!;
    const sent = Date.now();
    // Each value's remaining life is read with it (sent in the same write): a copy never
    // outlives the entry.
    const [values, ttls] = await Promise.all([
      fetch(keys),
      Promise.all(keys.map(key => this.inner.ttl(key).catch(() => undefined))),
    ]);
    if (epoch !== undefined && this.inner.epoch?.() === epoch && holder.lease.usable()) {
      // Counted from the send: a copy ends no later than its key does in Redis.
      const elapsed = Date.now() - sent;
      values.forEach((value, i) => {
        const ttl = ttls[i];
        if (value === undefined || ttl === undefined) return;
        holder.copies.install(ticket, keys[i], value, ttl === null ? Infinity : ttl - elapsed);
      });
    }
    return values;
  }

  async set(
    key: string,
    value: Buffer,
    ttlMs: number,
    options?: StoreSetOptions,
  ): Promise<boolean> {
    if (options?.unannounced) return this.inner.set(key, value, ttlMs, options);
    // Written only if absent: a copy may outlive its key's eviction, so a write that happened is
    // announced (`cache.add`); one that did not changed nothing.
    return this.changing(
      [key],
      () => this.inner.set(key, value, ttlMs, options),
      written => written || !options?.onlyIfAbsent,
    );
  }

  setMany(entries: readonly (readonly [string, Buffer])[], ttlMs: number): Promise<void> {
    return this.changing(
      entries.map(([key]) => key),
      () => this.inner.setMany(entries, ttlMs),
    );
  }

  delete(keys: readonly string[], options?: StoreDeleteOptions): Promise<number> {
    if (keys.length === 0) return this.inner.delete(keys, options);
    // Entries the removed tokens outdate: no holder can serve its copy past the tokens' own
    // acknowledged announcement (a copy is served only with the tokens it was checked against),
    // so holders are told to drop them (memory) but not waited for.
    const wait = options?.outdated !== true;
    const applied = options?.applied;
    if (this.call !== undefined && this.announcer.canDelete(keys)) {
      return this.deleteAnnounced(keys, wait, this.call, options);
    }
    return this.changing(
      keys,
      () => this.inner.delete(keys, options),
      () => {
        applied?.();
        return true;
      },
      wait,
    );
  }

  /**
   * {@link delete} in one script call that also announces (one round trip instead of two), with
   * the entries of `options.indexes`, then the wait for the holders. A call whose outcome is
   * unknown is handled as {@link changing} does; one Redis refuses (nothing deleted) is made in
   * two steps.
   */
  private async deleteAnnounced(
    keys: readonly string[],
    wait: boolean,
    call: StoreCall,
    options: StoreDeleteOptions | undefined,
  ): Promise<number> {
    const indexes = options?.indexes;
    let announced: Announced | undefined;
    try {
      announced = await this.announcer.deleteAndAnnounce(keys, wait, {
        call,
        indexes: indexes?.keys,
      });
    } catch (error) {
      this.holder?.copies.drop(keys);
      await this.announcer.announce(keys, wait).catch(() => undefined);
      this.announcer.announceLater(keys);
      throw error;
    }
    if (announced === undefined) {
      return this.delete(keys, { outdated: !wait, applied: options?.applied });
    }
    // Dropped once Redis applied the delete: a read of this process sent before is void.
    this.holder?.copies.drop(keys);
    this.holder?.copies.drop(announced.entries);
    indexes?.removed(announced.removed, announced.done);
    options?.applied?.();
    await announced.acknowledged;
    return announced.deleted;
  }

  deleteIfEquals(
    key: string,
    value: Buffer,
    options?: Pick<StoreSetOptions, 'unannounced'>,
  ): Promise<boolean> {
    if (options?.unannounced) return this.inner.deleteIfEquals(key, value, options);
    // Nothing changed when nothing was deleted: no announcement.
    return this.changing(
      [key],
      () => this.inner.deleteIfEquals(key, value, options),
      deleted => deleted,
    );
  }

  incrBy(key: string, delta: number, ttlMs: number): Promise<number> {
    return this.changing([key], () => this.inner.incrBy(key, delta, ttlMs));
  }

  expire(key: string, ttlMs: number): Promise<boolean> {
    return this.changing([key], () => this.inner.expire(key, ttlMs));
  }

  /**
   * Runs a write, then drops this process's copies of `keys` and announces them — also when the
   * write failed part way (some keys may have changed); the write's own error wins.
   */
  private async changing<T>(
    keys: readonly string[],
    write: () => Promise<T>,
    changed: (result: T) => boolean = () => true,
    wait = true,
  ): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (error) {
      this.holder?.copies.drop(keys);
      await this.announcer.announce(keys, wait).catch(() => undefined);
      // A write that timed out may still land (its command queued, or sent to another slot):
      // copies read again meanwhile would keep the old value, so it is announced once more.
      this.announcer.announceLater(keys);
      throw error;
    }
    if (!changed(result)) return result;
    this.holder?.copies.drop(keys);
    await this.announcer.announce(keys, wait);
    return result;
  }

  // Never shortens a lifetime: a copy (which lives no longer than its entry did) stays correct.
  extendTtl(keys: readonly string[], ttlMs: number): Promise<void> {
    const inner = this.inner;
    return inner.extendTtl
      ? inner.extendTtl(keys, ttlMs)
      : Promise.all(keys.map(key => inner.expire(key, ttlMs))).then(() => undefined);
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(key);
  }
  ttl(key: string): Promise<number | null | undefined> {
    return this.inner.ttl(key);
  }
  scan(pattern: string, batchSize?: number): AsyncIterable<string[]> {
    return this.inner.scan(pattern, batchSize);
  }
  addToSets(setKeys: readonly string[], member: string, ttlMs: number): Promise<void> {
    return this.inner.addToSets(setKeys, member, ttlMs);
  }
  members(setKey: string): Promise<string[]> {
    return this.inner.members(setKey);
  }
  scanSet(setKey: string, batchSize?: number): AsyncIterable<string[]> {
    if (this.inner.scanSet) return this.inner.scanSet(setKey, batchSize);
    return (async function* (inner: CacheStore) {
      yield await inner.members(setKey);
    })(this.inner);
  }
  removeFromSet(setKey: string, members: readonly string[]): Promise<void> {
    return this.inner.removeFromSet(setKey, members);
  }
  epoch(): string | undefined {
    return this.inner.epoch ? this.inner.epoch() : '';
  }
  otherEpochs(): ReturnType<NonNullable<CacheStore['otherEpochs']>> {
    return this.inner.otherEpochs?.() ?? { known: [], recorded: Promise.resolve([]) };
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }

  /** Near figures for `stats()`; `undefined` when this process keeps no copies. */
  stats(): NearStats | undefined {
    const holder = this.holder;
    if (holder === undefined) return undefined;
    return {
      hits: holder.hits,
      copies: holder.copies.size,
      bytes: holder.copies.bytes,
      lease: holder.state,
      invalidationWaits: { ...this.announcer.waits },
    };
  }

  /** Leaves the registry and closes the subscriber, then the store. */
  async close(): Promise<void> {
    await this.holder?.close();
    await this.announcer.close();
    await this.inner.close?.();
  }
}
