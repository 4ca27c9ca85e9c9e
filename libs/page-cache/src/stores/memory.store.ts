import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { CounterRangeError, StoreValueError } from '../errors.js';
import type { CacheStore, StoreSetOptions } from './cache-store.interface.js';
import { globToRegExp } from './glob.js';
import { MemoryEntries, type MemoryEntry } from './memory-entries.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries (values and sets) kept before the least recently used go. Default 10 000. */
  maxEntries?: number;
  /**
   * Most bytes kept before the least recently used entries are evicted. Default 64 MiB. An entry
   * weighs its key length plus its value length (or the lengths of its members, for a set).
   */
  maxBytes?: number;
}

/** The integers Redis's `string2ll()` accepts: no sign but `-`, no leading zeros, no `-0`. */
const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
/** Bounds of the signed 64-bit integers Redis counters hold. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Bounds of the counter results `incrBy` returns: the exact JavaScript integers. */
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A {@link CacheStore} kept in the process memory: the default for development, tests and
 * single-instance deployments. It is not shared between processes, so with several instances each
 * has its own cache and invalidations reach only the instance that ran them.
 *
 * It reproduces the Redis semantics the other stores rely on (types, TTLs, `INCRBY` parsing,
 * `SCAN MATCH` globs) so that the same contract holds for both. Memory is bounded by an entry count
 * and a byte budget, with least-recently-used eviction (see {@link MemoryEntries}). As with Redis's
 * `EXISTS`/`PTTL`/`SCAN`, probing a key with {@link has}, {@link ttl} or {@link scan} is not a use.
 *
 * Buffers are stored and returned as they are, without copies: callers never mutate a buffer they
 * passed or received, and copying every page on each hit would cost more than the cache saves.
 */
export class MemoryStore implements CacheStore {
  private readonly entries: MemoryEntries;

  /** @throws RangeError when a bound is not a positive number. */
  constructor(options: MemoryStoreOptions = {}) {
    this.entries = new MemoryEntries(options.maxEntries, options.maxBytes);
  }

  /** Number of entries held, including expired ones that have not been reclaimed yet. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held as counted against `maxBytes`, including expired entries not reclaimed yet. */
  get bytes(): number {
    return this.entries.bytes;
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.readValue(key, Date.now());
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.readValues(keys);
  }

  /** The memory store always answers now. */
  getManyNow(keys: readonly string[]): readonly (Buffer | undefined)[] | undefined {
    return this.readValues(keys);
  }

  /**
   * {@inheritDoc CacheStore.set}
   *
   * A value heavier than `maxBytes` on its own is not stored and `false` is returned; the key's
   * previous value is deleted all the same, so that a failed write never leaves a stale one behind.
   */
  async set(
    key: string,
    value: Buffer,
    ttlMs: number,
    options?: StoreSetOptions,
  ): Promise<boolean> {
    checkTtl(ttlMs);
    const now = Date.now();
    if (options?.onlyIfAbsent && this.entries.live(key, now)) return false;
    return this.entries.put(key, valueEntry(key, value, expiryOf(ttlMs, now)));
  }

  async setMany(entries: readonly (readonly [string, Buffer])[], ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    const expiresAt = expiryOf(ttlMs, Date.now());
    for (const [key, value] of entries) this.entries.put(key, valueEntry(key, value, expiresAt));
  }

  async delete(keys: readonly string[]): Promise<number> {
    const now = Date.now();
    let deleted = 0;
    for (const key of keys) {
      if (this.entries.live(key, now)) {
        this.entries.remove(key);
        deleted++;
      }
    }
    return deleted;
  }

  async deleteIfEquals(key: string, value: Buffer): Promise<boolean> {
    const entry = this.entries.live(key, Date.now());
    if (entry?.kind !== 'value' || !entry.value.equals(value)) return false;
    this.entries.remove(key);
    return true;
  }

  async has(key: string): Promise<boolean> {
    return this.entries.live(key, Date.now()) !== undefined;
  }

  /**
   * {@inheritDoc CacheStore.incrBy}
   *
   * Parses like Redis `INCRBY`: the stored value must be a base-10 64-bit integer without sign
   * (other than `-`), spaces or leading zeros. Arithmetic is exact on the stored string, and a
   * result outside ±`Number.MAX_SAFE_INTEGER` is refused before anything is written, as the Redis
   * store does, so the returned number is always exact.
   *
   * @throws StoreValueError `E_NOT_AN_INTEGER` when the stored value or `delta` is not one,
   *   `E_WRONG_TYPE` when `key` is a set.
   * @throws CounterRangeError when the result would be outside ±`Number.MAX_SAFE_INTEGER`.
   */
  async incrBy(key: string, delta: number, ttlMs: number): Promise<number> {
    const increment = Number.isInteger(delta) ? int64(BigInt(delta)) : undefined;
    if (increment === undefined) throw new StoreValueError('E_NOT_AN_INTEGER', key);
    checkTtl(ttlMs);
    const now = Date.now();
    const entry = this.entries.live(key, now);
    if (entry?.kind === 'set') throw new StoreValueError('E_WRONG_TYPE', key);
    // latin1 maps each byte to one character, so non-ASCII bytes can never pass the pattern.
    const text = entry ? entry.value.toString('latin1') : '0';
    const current = INTEGER.test(text) ? int64(BigInt(text)) : undefined;
    if (current === undefined) throw new StoreValueError('E_NOT_AN_INTEGER', key);
    const result = current + increment;
    if (result < -SAFE_MAX || result > SAFE_MAX) throw new CounterRangeError(key, String(result));
    // The TTL applies only to a key this call creates; an existing one keeps its own.
    const expiresAt = entry ? entry.expiresAt : expiryOf(ttlMs, now);
    this.entries.put(key, valueEntry(key, Buffer.from(result.toString(), 'latin1'), expiresAt));
    return Number(result);
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const now = Date.now();
    const entry = this.entries.live(key, now);
    if (!entry) return false;
    entry.expiresAt = expiryOf(ttlMs, now);
    this.entries.touch(key, entry);
    return true;
  }

  async extendTtl(keys: readonly string[], ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    const now = Date.now();
    const expiresAt = expiryOf(ttlMs, now);
    for (const key of keys) {
      const entry = this.entries.live(key, now);
      if (!entry || entry.expiresAt === 0) continue;
      entry.expiresAt = expiresAt === 0 ? 0 : Math.max(entry.expiresAt, expiresAt);
    }
  }

  async ttl(key: string): Promise<number | null | undefined> {
    const now = Date.now();
    const entry = this.entries.live(key, now);
    if (!entry) return undefined;
    if (entry.expiresAt === 0) return null;
    // `live()` guarantees expiresAt > now, so this is at least 1 even for fractional TTLs.
    return Math.ceil(entry.expiresAt - now);
  }

  /**
   * {@inheritDoc CacheStore.scan}
   *
   * Works on a snapshot of the keys taken at the start, examining `batchSize` keys per step (like
   * `SCAN … COUNT`) and yielding only non-empty batches. Between steps it waits for the next
   * macrotask so that I/O keeps flowing while a large keyspace is scanned; `node:timers/promises`
   * is used because fake timers in tests do not replace it, so a scan can never hang on them.
   * Keys written after the snapshot are not seen, which the contract allows.
   */
  async *scan(pattern: string, batchSize = 1000): AsyncIterable<string[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    const matcher = globToRegExp(pattern);
    const keys = this.entries.keys();
    for (let start = 0; start < keys.length; start += batchSize) {
      if (start > 0) await nextMacrotask();
      const now = Date.now();
      const batch: string[] = [];
      for (let i = start; i < Math.min(start + batchSize, keys.length); i++) {
        const key = keys[i];
        if (matcher.test(key) && this.entries.live(key, now)) batch.push(key);
      }
      if (batch.length > 0) yield batch;
    }
  }

  /**
   * {@inheritDoc CacheStore.addToSets}
   *
   * Each set then lives until the later of its current expiry and `now + ttlMs`; a set that never
   * expires stays so, and `ttlMs` `0` makes it permanent. A key holding a plain value is replaced
   * by a new set. A set that outgrows `maxBytes` on its own is dropped rather than allowed to evict
   * the whole cache.
   */
  async addToSets(setKeys: readonly string[], member: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    const now = Date.now();
    const expiresAt = expiryOf(ttlMs, now);
    for (const setKey of setKeys) {
      const entry = this.entries.live(setKey, now);
      if (entry?.kind === 'set') {
        if (!entry.members.has(member)) {
          entry.members.add(member);
          this.entries.reweigh(entry, member.length);
        }
        if (entry.expiresAt !== 0) {
          entry.expiresAt = expiresAt === 0 ? 0 : Math.max(entry.expiresAt, expiresAt);
        }
        this.entries.touch(setKey, entry);
      } else {
        this.entries.put(setKey, {
          kind: 'set',
          members: new Set([member]),
          expiresAt,
          size: setKey.length + member.length,
        });
      }
    }
  }

  /** {@inheritDoc CacheStore.members} A key holding a plain value has no members either. */
  async members(setKey: string): Promise<string[]> {
    const entry = this.entries.live(setKey, Date.now());
    if (entry?.kind !== 'set') return [];
    this.entries.touch(setKey, entry);
    return Array.from(entry.members);
  }

  async *scanSet(setKey: string, batchSize = 1000): AsyncIterable<string[]> {
    const members = await this.members(setKey);
    for (let i = 0; i < members.length; i += batchSize) {
      yield members.slice(i, i + batchSize);
      await nextMacrotask();
    }
  }

  /**
   * {@inheritDoc CacheStore.removeFromSet}
   *
   * A set left empty is deleted, as Redis does. A key holding a plain value is left untouched.
   */
  async removeFromSet(setKey: string, members: readonly string[]): Promise<void> {
    const entry = this.entries.live(setKey, Date.now());
    if (entry?.kind !== 'set') return;
    for (const member of members) {
      if (entry.members.delete(member)) this.entries.reweigh(entry, -member.length);
    }
    if (entry.members.size === 0) this.entries.remove(setKey);
    else this.entries.touch(setKey, entry);
  }

  async ping(): Promise<void> {}

  /** Stops the expiry sweep and drops every entry; the store stays usable, without the sweep. */
  async close(): Promise<void> {
    this.entries.clear();
  }

  /** The values under `keys` (see `readValue`), read at one time. */
  private readValues(keys: readonly string[]): (Buffer | undefined)[] {
    const now = Date.now();
    return keys.map(key => this.readValue(key, now));
  }

  /** The value under `key`, marked as used; `undefined` for a missing, expired or set key. */
  private readValue(key: string, now: number): Buffer | undefined {
    const entry = this.entries.live(key, now);
    if (entry?.kind !== 'value') return undefined;
    this.entries.touch(key, entry);
    return entry.value;
  }
}

/**
 * Rejects negative TTLs, which Redis rejects too, and non-finite ones, which would otherwise make
 * an entry silently immortal (`Infinity`) or give it a meaningless expiry (`NaN`).
 */
function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new RangeError(`ttlMs must be a finite number >= 0, got ${ttlMs}`);
  }
}

/** `value` when it is within the signed 64 bits Redis counters hold. */
function int64(value: bigint): bigint | undefined {
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** Absolute expiry for a relative TTL; `0` keeps meaning "never". */
function expiryOf(ttlMs: number, now: number): number {
  return ttlMs === 0 ? 0 : now + ttlMs;
}

/** A plain-value entry, weighed as its key plus its bytes. */
function valueEntry(key: string, value: Buffer, expiresAt: number): MemoryEntry {
  return { kind: 'value', value, expiresAt, size: key.length + value.length };
}
