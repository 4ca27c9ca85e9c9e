import { Inject, Injectable, Optional } from '@nestjs/common';
import { CacheStatistics, type CacheStats } from './cache-statistics.js';
import { CACHE_OPTIONS } from './cache.constants.js';
import type { ResolvedCacheOptions } from './cache.options.js';
import { addToCounter } from './counter.js';
import { DependencyTracker } from './dependency-tracker.js';
import { DistributedLock } from './distributed-lock.js';
import type {
  CacheIncrOptions,
  CacheLock,
  CacheLockOptions,
  CacheSetOptions,
  TrackedModels,
} from './interfaces/cache-service-options.interface.js';
import type { ModelRef } from './interfaces/model-ref.interface.js';
import { InvalidationPipeline, type PageQuery } from './invalidation/invalidation-pipeline.js';
import { ModelNames } from './invalidation/model-names.js';
import { assertValidKey, namespacedGlob } from './keys.js';
import { checkedDependencies, type ModelDependency } from './models.js';
import { CacheStore } from './stores/cache-store.interface.js';
import { parseTtl, type Ttl } from './ttl.js';
import { softly } from './values/softly.js';
import { ValueEntries } from './values/value-entries.js';
import { ValueFills } from './values/value-fills.js';

export { CacheLockTimeoutError } from './errors.js';
export type {
  CacheIncrOptions,
  CacheLock,
  CacheLockOptions,
  CacheSetOptions,
  TrackedModels,
} from './interfaces/cache-service-options.interface.js';

/**
 * The low-level cache API (Django's `cache` plus django-redis extras). Every key is namespaced as
 * `{keyPrefix}:{version}:{key}`.
 *
 * Failure policy: lookups and writes that only fill the cache (`get`, `getMany`, `has`, `ttl`,
 * `set`, `setMany`, `touch`, `getOrSet`) never throw because the store is down: they behave as a
 * miss / a no-op and log once per outage. Operations whose outcome the caller relies on (`add`,
 * `delete*`, `clear`, `incr`, `lock`, `invalidate`, `keys`) reject, so a failure is never mistaken
 * for success.
 */
@Injectable()
export class CacheService {
  constructor(
    @Inject(CacheStore) protected readonly store: CacheStore,
    @Inject(CACHE_OPTIONS) protected readonly options: ResolvedCacheOptions,
    protected readonly statistics: CacheStatistics,
    private readonly tracker: DependencyTracker,
    /** The one path of every invalidation of this cache. */
    private readonly pipeline: InvalidationPipeline,
    /** How values are encoded, and checked against their models' tokens when read. */
    private readonly entries: ValueEntries,
    /** The single flight of `getOrSet` and `@Cached`. */
    private readonly fills: ValueFills,
    private readonly locks: DistributedLock,
    /** Checks the model names entries are built from against the app's entities. */
    @Optional() private readonly modelNames?: ModelNames,
  ) {}

  /** `{keyPrefix}:{version}`, the part every key of this cache starts with. */
  get namespace(): string {
    return this.options.namespace;
  }

  /**
   * Returns the value stored under `key`, or `undefined`. A counter (a plain integer, as `incr`
   * and other clients write it) comes back as a `number`, or as a `bigint` beyond
   * ±`Number.MAX_SAFE_INTEGER`, where a number would not be exact.
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const value = await this.entries.read<T>(this.fullKey(key), []);
    this.statistics.valueRead(value !== undefined);
    return value;
  }

  /**
   * Stores `value` under `key`. `ttlOrOptions` is a lifetime or `{ ttl, models }`.
   * @throws TypeError for a bad key, TTL or a value that cannot be serialized (nothing is written).
   */
  async set(key: string, value: unknown, ttlOrOptions?: Ttl | CacheSetOptions): Promise<void> {
    const full = this.fullKey(key);
    const { ttlMs, deps } = this.writeOptions(ttlOrOptions);
    if (deps.length === 0) {
      const bytes = this.entries.encode(value);
      if (await softly(() => this.store.set(full, bytes, ttlMs), false)) {
        this.statistics.write(undefined, key, bytes.length);
      }
      return;
    }
    // Serialize first so that a bad value fails before anything is written.
    this.entries.encode(value);
    const tracked = typeof ttlOrOptions === 'object' ? ttlOrOptions?.tracked : undefined;
    if (tracked && !tracked.generations) return; // the store was down when they were tracked
    await softly(async () => {
      const generations = tracked
        ? [...tracked.generations!]
        : await this.tracker.generationsForWrite(deps);
      const bytes = this.entries.encode(value, deps, generations);
      if (await this.tracker.write(full, bytes, ttlMs, deps, generations)) {
        this.statistics.write(undefined, key, bytes.length);
      }
    }, undefined);
  }

  /**
   * Reads the generation tokens of `models` now, before you read the data of a value, so that a
   * later `set(key, value, { tracked })` stores it only if none of them was saved in between —
   * the race `set(…, { models })` cannot see (it reads the tokens after your data).
   *
   * ```ts
   * const tracked = await cache.track([Price]);
   * const prices = await this.prices.find();          // read after tracking
   * await cache.set('prices', prices, { tracked });   // not stored if a Price was saved meanwhile
   * ```
   */
  async track(models: readonly ModelDependency[]): Promise<TrackedModels> {
    const deps = checkedDependencies(models, 'track models', this.modelNames);
    const generations = await softly(() => this.tracker.generationsForWrite(deps), undefined);
    return { deps, generations };
  }

  /**
   * Stores `value` only if `key` is absent (atomic, `SET NX`).
   * @returns true when this call stored it.
   */
  async add(key: string, value: unknown, ttl?: Ttl): Promise<boolean> {
    const full = this.fullKey(key);
    const ttlMs = this.ttlOf(ttl);
    return this.store.set(full, this.entries.encode(value), ttlMs, { onlyIfAbsent: true });
  }

  /** Whether `key` holds a value. */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Deletes `key`. @returns whether it existed. */
  async delete(key: string): Promise<boolean> {
    return (await this.store.delete([this.fullKey(key)])) > 0;
  }

  /** Deletes many keys. @returns how many existed. */
  async deleteMany(keys: Iterable<string>): Promise<number> {
    const full = [...keys].map(key => this.fullKey(key));
    return this.store.delete(full);
  }

  /** Reads many keys in one round trip. @returns a Map of the keys found. */
  async getMany<T = unknown>(keys: Iterable<string>): Promise<Map<string, T>> {
    const list = [...keys];
    const full = list.map(key => this.fullKey(key));
    const raws = await softly(() => this.store.getMany(full), []);
    const values = await this.entries.decode(full, raws);
    const found = new Map<string, T>();
    list.forEach((key, i) => {
      this.statistics.valueRead(values[i] !== undefined);
      if (values[i] !== undefined) found.set(key, values[i] as T);
    });
    return found;
  }

  /** Stores many values with one lifetime in one round trip. */
  async setMany(
    entries: Iterable<readonly [string, unknown]> | Record<string, unknown>,
    ttl?: Ttl,
  ): Promise<void> {
    const pairs =
      Symbol.iterator in entries
        ? [...(entries as Iterable<readonly [string, unknown]>)]
        : Object.entries(entries);
    const ttlMs = this.ttlOf(ttl);
    const encoded = pairs.map(
      ([key, value]) => [this.fullKey(key), this.entries.encode(value)] as const,
    );
    await softly(async () => {
      await this.store.setMany(encoded, ttlMs);
      pairs.forEach(([key], i) => this.statistics.write(undefined, key, encoded[i]![1].length));
    }, undefined);
  }

  /**
   * Returns the cached value, or calls `factory`, caches and returns its result. Concurrent
   * callers of the same missing key in this process share one factory call; its rejection
   * reaches every waiter and nothing is cached. While one of its `models` has an invalidation
   * that has not reached the store yet, `factory` is called and its result returned, not stored.
   */
  async getOrSet<T>(
    key: string,
    factory: () => T | Promise<T>,
    ttlOrOptions?: Ttl | CacheSetOptions,
  ): Promise<T> {
    const full = this.fullKey(key);
    const fill = { key, full, ...this.writeOptions(ttlOrOptions) };
    return this.fills.getOrSet(fill, factory, () => this.get<T>(key));
  }

  /**
   * Adds `delta` to a counter atomically and returns the new value. A missing key starts at 0 and
   * gets `ttl` when this call creates it.
   * @throws RangeError naming the key when the result would be outside ±`Number.MAX_SAFE_INTEGER`
   *   (where numbers are no longer exact); the stored value is then left unchanged.
   * @throws TypeError when the stored value is not an integer, or `delta` is not a safe integer.
   */
  async incr(key: string, delta = 1, options?: CacheIncrOptions): Promise<number> {
    return addToCounter(this.store, this.fullKey(key), key, delta, this.ttlOf(options?.ttl));
  }

  /** Subtracts `delta` from a counter atomically; see {@link incr}. */
  async decr(key: string, delta = 1, options?: CacheIncrOptions): Promise<number> {
    if (!Number.isSafeInteger(delta)) {
      throw new TypeError(`Invalid delta: ${String(delta)}. Expected a safe integer.`);
    }
    return addToCounter(this.store, this.fullKey(key), key, -delta, this.ttlOf(options?.ttl));
  }

  /** Gives `key` a new lifetime (default: the module's `ttl`; `0` = never). @returns whether it exists. */
  async touch(key: string, ttl?: Ttl): Promise<boolean> {
    const full = this.fullKey(key);
    const ttlMs = this.ttlOf(ttl);
    return softly(() => this.store.expire(full, ttlMs), false);
  }

  /** Remaining lifetime of `key` in ms; `null` when it never expires, `undefined` when missing. */
  async ttl(key: string): Promise<number | null | undefined> {
    const full = this.fullKey(key);
    return softly(() => this.store.ttl(full), undefined);
  }

  /**
   * Deletes every key of this namespace matching a Redis glob (`*`, `?`, `[abc]`, `[^a]`, `\`).
   * The glob applies to the part of the key you gave; prefix and version are escaped.
   * @returns how many keys were deleted.
   */
  async deletePattern(glob: string): Promise<number> {
    this.assertGlob(glob);
    let deleted = 0;
    for await (const batch of this.store.scan(namespacedGlob(this.namespace, glob))) {
      deleted += await this.store.delete(batch);
    }
    return deleted;
  }

  /** Iterates over the keys of this namespace matching a glob, without the namespace part. */
  async *keys(glob = '*'): AsyncIterable<string> {
    this.assertGlob(glob);
    const skip = this.namespace.length + 1;
    const seen = new Set<string>();
    for await (const batch of this.store.scan(namespacedGlob(this.namespace, glob))) {
      for (const full of batch) {
        const key = full.slice(skip);
        // SCAN may return a key twice; `~` keys are the cache's own bookkeeping.
        if (key.startsWith('~') || seen.has(key)) continue;
        seen.add(key);
        yield key;
      }
    }
  }

  /**
   * Deletes every key of this namespace (never FLUSHDB), except the locks other owners hold
   * (`lock()` and the page cache's fill locks): deleting one would let a second owner in while the
   * first still works under it. @returns how many were deleted.
   */
  async clear(): Promise<number> {
    const locks = [`${this.namespace}:~lock:`, `${this.namespace}:~fill:`];
    let deleted = 0;
    for await (const batch of this.store.scan(namespacedGlob(this.namespace, '*'))) {
      const keys = batch.filter(key => !locks.some(prefix => key.startsWith(prefix)));
      if (keys.length > 0) deleted += await this.store.delete(keys);
    }
    return deleted;
  }

  /**
   * Takes a lock shared by every process using this store (SET NX PX with an owner token). The
   * returned handle releases it only while this holder still owns it.
   * @throws CacheLockTimeoutError when it stays held for longer than `wait`.
   */
  async lock(name: string, options: CacheLockOptions = {}): Promise<CacheLock> {
    assertValidKey(name);
    return this.locks.named(`${this.namespace}:~lock:${name}`, name, options);
  }

  /**
   * Removes every page and value built from `model` (or from its entity `id`), and outdates any
   * that is being computed right now; then, with `pages.edge.purge`, purges the edge copies of
   * those pages (a failed purge is retried in the background and never rejects this call). The
   * edge is purged even when the store cannot be reached (this call then rejects); the retry of
   * the invalidation purges it again once the store has it.
   * @returns how many entries were removed.
   */
  async invalidate(model: ModelRef, id?: string | number): Promise<number> {
    return this.pipeline.invalidate(model, id);
  }

  /** Hit rates and counters of this cache since startup (in this process). */
  stats(): CacheStats {
    return this.statistics.snapshot();
  }

  /**
   * Sends a PING to the store, through its circuit breaker and command timeout: for health checks
   * (see `nestjs-page-cache/terminus`).
   * @returns the round trip in ms.
   * @throws when the store cannot be reached, times out, or its breaker is open.
   */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.store.ping();
    return performance.now() - started;
  }

  /**
   * Calls `observer` with the duration of every page hit of this cache (view, seconds), for a
   * metrics integration; hits are timed only while one observes. @returns the undo.
   */
  observeHitDurations(observer: (view: string, seconds: number) => void): () => void {
    return this.statistics.observeHitDurations(observer);
  }

  /**
   * Removes every cached variant of one URL (all vary combinations), as Django's
   * `expire_view_cache`. With `query`, only the variants of that query (as the page sees it, after
   * its `query` whitelist). Costs what it removes, not the size of the keyspace. With
   * `pages.edge.purge`, the edge copies of those variants are purged too — even when the store
   * cannot be reached (the call then rejects, and is yours to retry).
   * @returns how many entries were removed.
   */
  async expirePage(path: string, options: { query?: PageQuery } = {}): Promise<number> {
    return this.pipeline.expire(path, options.query);
  }

  /**
   * Drops index entries whose cache entries no longer exist. Runs periodically on its own
   * (`indexCleanupInterval`); exposed for maintenance scripts.
   * @returns how many index members were dropped.
   */
  async pruneIndex(): Promise<number> {
    let dropped = 0;
    for await (const batch of this.store.scan(namespacedGlob(this.namespace, '~idx:*'))) {
      for (const setKey of batch) dropped += await this.tracker.prune(setKey);
    }
    return dropped;
  }

  /** Builds the wire key of a user key. */
  protected fullKey(key: string): string {
    assertValidKey(key);
    return `${this.namespace}:${key}`;
  }

  private ttlOf(ttl: Ttl | undefined): number {
    return ttl === undefined ? this.options.ttlMs : parseTtl(ttl);
  }

  private writeOptions(ttlOrOptions: Ttl | CacheSetOptions | undefined) {
    if (typeof ttlOrOptions === 'object' && ttlOrOptions !== null) {
      if (ttlOrOptions.tracked && ttlOrOptions.models) {
        throw new TypeError('Invalid set options: give models or tracked, not both.');
      }
      const deps = ttlOrOptions.tracked
        ? [...ttlOrOptions.tracked.deps]
        : checkedDependencies(
            ttlOrOptions.models ?? [],
            'the models of set or getOrSet',
            this.modelNames,
          );
      return { ttlMs: this.ttlOf(ttlOrOptions.ttl), deps };
    }
    return { ttlMs: this.ttlOf(ttlOrOptions), deps: [] };
  }

  private assertGlob(glob: string): void {
    if (typeof glob !== 'string' || glob.length === 0) {
      throw new TypeError(
        `Invalid pattern: ${JSON.stringify(glob)}. Expected a non-empty glob string.`,
      );
    }
  }
}
