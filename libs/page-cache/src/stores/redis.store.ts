import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { CounterRangeError } from '../errors.js';
import type { CacheStore, StoreSetOptions } from './cache-store.interface.js';
import { keepPipelinesWhole } from './cluster-pipelines.js';
import { clusterMasters, groupBySlot } from './cluster-slots.js';
import { RedisEpoch } from './redis-epoch.js';
import { StoreReconnectedError, StoreValueError } from '../errors.js';

/** Where servers that refuse `INFO` keep a shared epoch (see `RedisEpoch`). */
const EPOCH_KEY = 'nestjs-page-cache:~epoch';
/** Where the epochs processes were recently in are recorded (see `EpochRecord`). */
const EPOCHS_KEY = 'nestjs-page-cache:~epochs';

/** A connected ioredis client: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Error code of the counter script's refusal of a result beyond ±(2^53 - 1). */
const RANGE_REPLY = 'PCRANGE';

/** Most keys sent in one UNLINK. */
const DELETE_BATCH = 500;
/** Members per SREM. */
const SET_BATCH = 1000;

// Lua keeps each of these single-key operations atomic; every script touches one key only, so
// they are valid on Redis Cluster too.
const SCRIPTS = {
  // INCRBY counts exactly in 64 bits, but its integer reply reaches Lua and ioredis as a double:
  // the exact result is read back with GET (a string). Comparing that double with 2^53 - 1 is
  // still exact, because rounding never crosses a representable bound. A result beyond it is
  // undone before the script returns, so no client ever sees it.
  pcIncrBy: {
    numberOfKeys: 1,
    lua: `local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v > ${Number.MAX_SAFE_INTEGER} or v < -${Number.MAX_SAFE_INTEGER} then
  local refused = redis.call('GET', KEYS[1])
  if existed == 0 then redis.call('DEL', KEYS[1]) else redis.call('DECRBY', KEYS[1], ARGV[1]) end
  return redis.error_reply('${RANGE_REPLY} ' .. refused)
end
if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1])`,
  },
  pcDeleteIfEquals: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
  pcAddToSet: {
    numberOfKeys: 1,
    lua: `local existed = redis.call('EXISTS', KEYS[1])
if existed == 1 and redis.call('TYPE', KEYS[1]).ok ~= 'set' then
  redis.call('DEL', KEYS[1])
  existed = 0
end
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl == 0 then
  redis.call('PERSIST', KEYS[1])
else
  local current = redis.call('PTTL', KEYS[1])
  if existed == 0 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1`,
  },
  // A missing key stays missing (a generation token is never brought back); a longer or endless
  // lifetime is kept.
  pcExtendTtl: {
    numberOfKeys: 1,
    lua: `local current = redis.call('PTTL', KEYS[1])
if current < 0 then return 0 end
local ttl = tonumber(ARGV[1])
if ttl == 0 then return redis.call('PERSIST', KEYS[1]) end
if current < ttl then return redis.call('PEXPIRE', KEYS[1], ttl) end
return 0`,
  },
} as const;

interface ScriptCommands {
  pcExtendTtl(key: string, ttlMs: number): Promise<number>;
  pcIncrBy(key: string, delta: number, ttlMs: number): Promise<string>;
  pcDeleteIfEquals(key: string, value: Buffer): Promise<number>;
  pcAddToSet(key: string, member: string, ttlMs: number): Promise<number>;
}

/**
 * {@link CacheStore} over ioredis, for a standalone Redis or a Redis Cluster.
 *
 * Values are read and written as Buffers (no string decoding on the hit path). Pattern scans use
 * SCAN with a large COUNT on every master and delete with UNLINK, never KEYS or FLUSHDB.
 *
 * On a Cluster no command ever spans two hash slots (that is a CROSSSLOT error): multi-key reads
 * and deletes are grouped by slot, one `MGET` or `UNLINK` per slot, and auto-pipelining sends the
 * commands for one node together.
 */
export class RedisStore implements CacheStore {
  private readonly commands: RedisClient & ScriptCommands;
  private readonly isCluster: boolean;
  /** Which life of the server's data this client talks to (see `CacheStore.epoch`). */
  private readonly epochs: RedisEpoch;

  /**
   * @param client the ioredis client to use.
   * @param owned whether this store created the client and so closes it in {@link close}; a
   *   client lent by the application is never closed by us.
   */
  constructor(
    readonly client: RedisClient,
    private readonly owned = false,
  ) {
    this.isCluster =
      client instanceof Cluster || (client as { isCluster?: boolean }).isCluster === true;
    // Before any command: a pipeline split across nodes mismatches every later reply.
    if (this.isCluster) keepPipelinesWhole(client as Cluster);
    for (const [name, script] of Object.entries(SCRIPTS)) {
      // defineCommand is idempotent per name; a lent client may already carry our scripts.
      if (!(name in client)) client.defineCommand(name, script);
    }
    this.commands = client as RedisClient & ScriptCommands;
    // Each refusal once (INFO, the epoch record): they are asked again on every check.
    const warned = new Set<string>();
    this.epochs = new RedisEpoch(client, EPOCH_KEY, EPOCHS_KEY, reason => {
      if (warned.has(reason)) return;
      warned.add(reason);
      new Logger('CacheStore').warn(`Redis epoch: ${reason}.`);
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    const serial = this.epochs.serial;
    try {
      const value = await this.client.getBuffer(key);
      if (serial !== this.epochs.serial) throw new StoreReconnectedError();
      return value ?? undefined;
    } catch (error) {
      if (isWrongType(error)) return undefined;
      throw error;
    }
  }

  async getHead(
    key: string,
    length: number,
    keys: readonly string[],
  ): Promise<[Buffer | undefined, (Buffer | undefined)[]]> {
    const serial = this.epochs.serial;
    // Sent together: auto-pipelining writes both commands at once.
    const [head, values] = await Promise.all([
      unlessWrongType(this.client.getrangeBuffer(key, 0, length - 1), Buffer.alloc(0)),
      this.getMany(keys),
    ]);
    if (serial !== this.epochs.serial) throw new StoreReconnectedError();
    return [head.length === 0 ? undefined : head, values];
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    // MGET returns nil for keys of another type, which is what we want.
    // A read answered after a connection closed may come from a restarted server: discarded.
    const serial = this.epochs.serial;
    if (!this.isCluster) {
      const values = await this.client.mgetBuffer(...keys);
      if (serial !== this.epochs.serial) throw new StoreReconnectedError();
      return values.map(value => value ?? undefined);
    }
    // MGET across slots is a CROSSSLOT error: one MGET per slot, all sent at once.
    const groups = groupBySlot(keys);
    const replies = await Promise.all(groups.map(group => this.client.mgetBuffer(...group.keys)));
    if (serial !== this.epochs.serial) throw new StoreReconnectedError();
    const values = Array.from<Buffer | undefined>({ length: keys.length });
    groups.forEach((group, g) =>
      group.positions.forEach((position, i) => (values[position] = replies[g][i] ?? undefined)),
    );
    return values;
  }

  async set(
    key: string,
    value: Buffer,
    ttlMs: number,
    options?: StoreSetOptions,
  ): Promise<boolean> {
    const args: (string | number)[] = ttlMs > 0 ? ['PX', ttlMs] : [];
    if (options?.onlyIfAbsent) args.push('NX');
    const reply = await this.client.call('SET', key, value, ...args);
    return reply === 'OK';
  }

  async setMany(entries: readonly (readonly [string, Buffer])[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    if (this.isCluster) {
      await Promise.all(entries.map(([key, value]) => this.set(key, value, ttlMs)));
      return;
    }
    const pipeline = this.client.multi();
    for (const [key, value] of entries) {
      if (ttlMs > 0) pipeline.set(key, value, 'PX', ttlMs);
      else pipeline.set(key, value);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    // On a Cluster one UNLINK per slot (in batches), the slots' commands sent at once.
    const groups = this.isCluster ? groupBySlot(keys).map(group => group.keys) : [keys];
    const counts = await Promise.all(groups.map(group => this.unlinkInBatches(group)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  private async unlinkInBatches(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      deleted += await this.client.unlink(...keys.slice(i, i + DELETE_BATCH));
    }
    return deleted;
  }

  async deleteIfEquals(key: string, value: Buffer): Promise<boolean> {
    return (await this.commands.pcDeleteIfEquals(key, value)) === 1;
  }

  async has(key: string): Promise<boolean> {
    return (await this.client.exists(key)) === 1;
  }

  /**
   * {@inheritDoc CacheStore.incrBy}
   * @throws CounterRangeError when the result would be outside ±`Number.MAX_SAFE_INTEGER` (or the
   *   64-bit range); the stored value is then unchanged.
   * @throws StoreValueError when the stored value is not an integer, or not a string.
   */
  async incrBy(key: string, delta: number, ttlMs: number): Promise<number> {
    try {
      return Number(await this.commands.pcIncrBy(key, delta, ttlMs));
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (message.startsWith(`${RANGE_REPLY} `)) {
        throw new CounterRangeError(key, /^-?\d+/.exec(message.slice(RANGE_REPLY.length + 1))?.[0]);
      }
      // Redis's own replies, translated here, at the boundary, into codes the cache reads.
      if (/would overflow/.test(message)) throw new CounterRangeError(key);
      if (/not an integer/.test(message)) throw new StoreValueError('E_NOT_AN_INTEGER', key);
      if (isWrongType(error)) throw new StoreValueError('E_WRONG_TYPE', key);
      throw error;
    }
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    if (ttlMs === 0) {
      // PERSIST answers 0 both for a missing key and for one without expiry.
      const [persisted, exists] = await Promise.all([
        this.client.persist(key),
        this.client.exists(key),
      ]);
      return persisted === 1 || exists === 1;
    }
    return (await this.client.pexpire(key, ttlMs)) === 1;
  }

  async extendTtl(keys: readonly string[], ttlMs: number): Promise<void> {
    await Promise.all(keys.map(key => this.commands.pcExtendTtl(key, ttlMs)));
  }

  async ttl(key: string): Promise<number | null | undefined> {
    const ms = await this.client.pttl(key);
    if (ms === -2) return undefined;
    if (ms === -1) return null;
    return ms;
  }

  async *scan(pattern: string, batchSize = 1000): AsyncIterable<string[]> {
    // Read the masters at every call, so a failover is picked up.
    const nodes = this.isCluster ? clusterMasters(this.client as Cluster) : [this.client as Redis];
    for (const node of nodes) {
      yield* batches(cursor => node.scan(cursor, 'MATCH', pattern, 'COUNT', batchSize));
    }
  }

  async addToSets(setKeys: readonly string[], member: string, ttlMs: number): Promise<void> {
    await Promise.all(setKeys.map(setKey => this.commands.pcAddToSet(setKey, member, ttlMs)));
  }

  async members(setKey: string): Promise<string[]> {
    return unlessWrongType(this.client.smembers(setKey), []);
  }

  scanSet(setKey: string, batchSize = 1000): AsyncIterable<string[]> {
    return batches(cursor =>
      unlessWrongType(this.client.sscan(setKey, cursor, 'COUNT', batchSize), ['0', []]),
    );
  }

  async removeFromSet(setKey: string, members: readonly string[]): Promise<void> {
    // In batches: spreading a huge array into one call's arguments overflows the stack.
    for (let i = 0; i < members.length; i += SET_BATCH) {
      await this.client.srem(setKey, ...members.slice(i, i + SET_BATCH));
    }
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  epoch(): string | undefined {
    return this.epochs.current();
  }

  otherEpochs(): { known: string[]; recorded: Promise<string[]> } {
    return this.epochs.others();
  }

  /** Resolves once the epoch is known (see `CacheStore.epoch`), or after `timeoutMs`. */
  epochReady(timeoutMs = 2_000): Promise<void> {
    return this.epochs.ready(timeoutMs);
  }

  async close(): Promise<void> {
    this.epochs.stop();
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      // Not connected: nothing to flush, just drop the socket and stop reconnecting.
      this.client.disconnect();
    }
  }
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

/** What `reply` resolves to, or `fallback` when the key holds another type of value. */
async function unlessWrongType<T>(reply: Promise<T>, fallback: T): Promise<T> {
  try {
    return await reply;
  } catch (error) {
    if (isWrongType(error)) return fallback;
    throw error;
  }
}

/** Follows a SCAN-style cursor from `0` back to `0`, yielding its non-empty batches. */
async function* batches(
  step: (cursor: string) => Promise<[cursor: string, items: string[]]>,
): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, items] = await step(cursor);
    cursor = next;
    if (items.length > 0) yield items;
  } while (cursor !== '0');
}
