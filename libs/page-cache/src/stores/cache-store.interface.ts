/**
 * The storage backend behind `CacheService` and the page cache.
 *
 * Stores see opaque bytes under full keys (`{keyPrefix}:{version}:…`); encoding, namespacing and
 * dependency tracking happen above them, so a store only has to be a fast, honest key-value map
 * with expiry, sets and a cursor. All durations are milliseconds, and a TTL of `0` means the entry
 * never expires.
 *
 * Implement it to plug in another backend, and provide it with `store: yourStore` (or inject the
 * active one with `@Inject(CacheStore)`).
 */
export interface CacheStore {
  /** Reads one value; `undefined` when the key is missing or is not a plain value. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Reads the first `length` bytes of the value at `key` (Redis `GETRANGE`; `undefined` when the key
   * is missing or empty) and the values of `keys`, in one round trip. Optional: without it, the
   * page cache reads whole entries.
   */
  getHead?(
    key: string,
    length: number,
    keys: readonly string[],
  ): Promise<[Buffer | undefined, (Buffer | undefined)[]]>;
  /** Reads many values in one round trip, in the order of `keys`. */
  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]>;
  /**
   * What `getMany(keys)` would resolve to, answered now from this process's memory, or
   * `undefined` when this store cannot answer without I/O now (it is then asked with `getMany`).
   * Optional: it lets a hit held in memory be served without a promise. Read only: a store may
   * answer the same `keys` array with the same (frozen) array while nothing it holds changed.
   */
  getManyNow?(keys: readonly string[]): readonly (Buffer | undefined)[] | undefined;
  /**
   * Writes one value. With `onlyIfAbsent` the write happens only when the key is missing (atomic).
   * @returns whether the value was written.
   */
  set(key: string, value: Buffer, ttlMs: number, options?: StoreSetOptions): Promise<boolean>;
  /** Writes many values with the same TTL in one round trip. */
  setMany(entries: readonly (readonly [string, Buffer])[], ttlMs: number): Promise<void>;
  /**
   * Deletes keys of any type. With `outdated`, the keys are entries that removed generation
   * tokens already outdate (see `DependencyTracker`): a layer keeping copies elsewhere need not
   * wait until they are dropped there. @returns how many existed.
   */
  delete(keys: readonly string[], options?: StoreDeleteOptions): Promise<number>;
  /**
   * Deletes `key` only if it currently holds exactly `value` (atomic compare-and-delete).
   * `unannounced`: as in {@link StoreSetOptions}.
   */
  deleteIfEquals(
    key: string,
    value: Buffer,
    options?: Pick<StoreSetOptions, 'unannounced'>,
  ): Promise<boolean>;
  /** Whether the key exists. */
  has(key: string): Promise<boolean>;
  /**
   * Adds `delta` to the integer stored at `key` (a missing key counts as 0) and returns the result.
   * `ttlMs` is applied only when the key is created by this call. The value is stored as plain
   * decimal text. A result outside ±`Number.MAX_SAFE_INTEGER` must be refused with a `RangeError`,
   * atomically, leaving the stored value as it was (a number beyond it would not be exact).
   */
  incrBy(key: string, delta: number, ttlMs: number): Promise<number>;
  /** Sets a new TTL on an existing key (`0` removes its expiry). @returns whether the key exists. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Makes each key that exists live at least `ttlMs` from now (`0`: forever): never creates a key,
   * never shortens a lifetime. Optional: without it the dependency tracker calls `expire`, which
   * may shorten a generation token's life (an extra miss later, never a stale hit).
   */
  extendTtl?(keys: readonly string[], ttlMs: number): Promise<void>;
  /** Remaining lifetime in ms, `null` when the key never expires, `undefined` when it is missing. */
  ttl(key: string): Promise<number | null | undefined>;
  /**
   * Iterates over the keys matching a Redis glob (`*`, `?`, `[abc]`, `[^a]`, `\` escapes), in
   * batches. It must not block the store on a large keyspace, and may yield a key more than once.
   */
  scan(pattern: string, batchSize?: number): AsyncIterable<string[]>;
  /**
   * Adds `member` to each set and makes each set live at least `ttlMs` longer (`0`: forever).
   * Used for the dependency index.
   */
  addToSets(setKeys: readonly string[], member: string, ttlMs: number): Promise<void>;
  /** Members of a set; empty when it is missing. */
  members(setKey: string): Promise<string[]>;
  /**
   * Members of a set in batches (`SSCAN`), so that a set of any size never blocks the store or the
   * event loop in one call. Optional: without it, `members()` is used.
   */
  scanSet?(setKey: string, batchSize?: number): AsyncIterable<string[]>;
  /** Removes members from a set. */
  removeFromSet(setKey: string, members: readonly string[]): Promise<void>;
  /**
   * The epoch of the data the store holds: a short id that changes whenever the store may have come
   * back holding older data than it acknowledged (a Redis restarted from an RDB/AOF file, a
   * replica promoted after asynchronous replication lost writes); `undefined` while it is not
   * known (just reconnected). Generation tokens are kept per epoch, so nothing written under an
   * earlier one is ever served again. Optional: a store without it must never go back in time
   * (the memory store cannot).
   */
  epoch?(): string | undefined;
  /**
   * The other epochs some process may still, or already, be in: a process notices a new epoch
   * only at its next check (a Cluster master failing over changes the epoch without closing any
   * connection), and meanwhile uses the tokens of the one it knows. An invalidation removes the
   * tokens of these epochs too. `known`: those this process knows now; `recorded`: every epoch
   * whose tokens exist when it is called — so a process must make an epoch known to the others
   * before it uses it (the Redis store records them in Redis). Optional: a store whose epoch never
   * changes under a running process leaves it out.
   */
  otherEpochs?(): { known: readonly string[]; recorded: Promise<readonly string[]> };
  /** Round-trip check used by health reporting and the circuit breaker's probes. */
  ping(): Promise<void>;
  /** Releases what the store owns (connections it opened, timers). */
  close?(): Promise<void>;
}

/** Options of {@link CacheStore.set}. */
export interface StoreDeleteOptions {
  /** The keys are entries already outdated by tokens whose removal was announced. */
  outdated?: boolean;
  /**
   * Called once the keys are deleted, when the store then has more to do before it resolves
   * (a near layer waiting for holders); a store that has not need not call it.
   */
  applied?: () => void;
  /**
   * Index sets (see `DependencyTracker`) whose entries a store may remove in the same call, after
   * the keys: it then tells `removed` how many entries existed, and which sets it emptied, before
   * `applied`. A store may ignore it (the caller removes them).
   */
  indexes?: {
    keys: readonly string[];
    removed(entries: number, emptied: readonly boolean[]): void;
  };
}

export interface StoreSetOptions {
  /** Write only if the key does not exist (Redis `SET NX`). */
  onlyIfAbsent?: boolean;
  /**
   * No copy of the key held elsewhere can be wrong after this write: it is never read (a lock), or
   * a copy of its old value outdates nothing (a generation token created where one was missing). A
   * layer keeping copies elsewhere need not announce it.
   */
  unannounced?: boolean;
}

/**
 * Injection token for the active {@link CacheStore}: `@Inject(CacheStore) store: CacheStore`.
 * Declared with the same name as the interface, as `@nestjs/throttler` does with its storage.
 */
export const CacheStore = Symbol('CacheStore');
