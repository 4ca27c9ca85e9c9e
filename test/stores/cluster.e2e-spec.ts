import type { TestingModule } from '@nestjs/testing';
import { once } from 'node:events';
import { Cluster, Redis } from 'ioredis';
import { CacheStore, type CacheService } from 'nestjs-page-cache';
import { RedisStore } from '../../libs/page-cache/src/stores/redis.store.js';
import { keySlot } from '../../libs/page-cache/src/stores/cluster-slots.js';
import type { NearStore } from '../../libs/page-cache/src/near/near.store.js';
import { ResilientStore } from '../../libs/page-cache/src/stores/resilient.store.js';
import { bootCache } from '../support/cache-app.js';
import { redisClusterNodes, uniquePrefix } from '../support/redis.js';

/** A plain connection to one node of the shared cluster. */
function node(address: string): Redis {
  const [host, port] = address.split(':');
  return new Redis({ host, port: Number(port), lazyConnect: true });
}

describe('key slots', () => {
  it('agree with CLUSTER KEYSLOT of a real cluster, hash tags and UTF-8 included', async () => {
    const client = node(redisClusterNodes()[0]);
    try {
      const keys = [
        'cache:1:page:PostsController.show:Author,Post/42:kX3c',
        'cache:1:~gen:Post/42',
        'cache:1:~idx:@path:abc',
        'cache:1:~fill:xyz',
        '{tag}:a',
        'a{tag}b',
        'a{}b{c}',
        'ünïcödé:日本語:✓',
        ...Array.from({ length: 200 }, (_, i) => `${uniquePrefix('slot')}:${i}:${Math.random()}`),
      ];
      const answers = await Promise.all(keys.map(key => client.cluster('KEYSLOT', key)));
      expect(keys.map(keySlot)).toEqual(answers.map(Number));
    } finally {
      client.disconnect();
    }
  });
});

describe('RedisStore on a Redis Cluster', () => {
  let module: TestingModule;
  let cache: CacheService;
  let store: RedisStore;
  let cluster: Cluster;

  beforeEach(async () => {
    ({ module, cache } = await bootCache('cluster', { ttl: '1m' }));
    // The Redis store, under the breaker, under the near layer (which announces writes).
    store = ((module.get(CacheStore) as NearStore).inner as ResilientStore).inner as RedisStore;
    cluster = store.client as Cluster;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await cache.clear();
    await module.close();
  });

  function keysOfDistinctSlots(count: number): string[] {
    const keys: string[] = [];
    const slots = new Set<number>();
    for (let i = 0; keys.length < count; i++) {
      const key = `${cache.namespace}:k${i}`;
      if (slots.has(keySlot(key))) continue;
      slots.add(keySlot(key));
      keys.push(key);
    }
    return keys;
  }

  it('is given a Cluster client by the { cluster } option', () => {
    expect(cluster).toBeInstanceOf(Cluster);
  });

  it('reads many keys with one MGET per slot, in the order asked', async () => {
    const spread = keysOfDistinctSlots(6);
    const tagged = ['a', 'b', 'c'].map(k => `${cache.namespace}:{same}:${k}`);
    await store.setMany(
      [...spread, ...tagged].map(key => [key, Buffer.from(key)] as const),
      60_000,
    );
    const mget = vi.spyOn(cluster, 'mgetBuffer');
    const asked = [tagged[0], spread[0], 'missing', tagged[1], ...spread.slice(1), tagged[2]].map(
      key => (key === 'missing' ? `${cache.namespace}:missing` : key),
    );
    const values = await store.getMany(asked);
    expect(values.map(value => value?.toString())).toEqual(
      asked.map(key => (key.endsWith(':missing') ? undefined : key)),
    );
    const slotsAsked = new Set(asked.map(keySlot));
    expect(mget).toHaveBeenCalledTimes(slotsAsked.size);
    const calls = mget.mock.calls.map(call => (call as unknown[]).flat() as string[]);
    for (const keys of calls) expect(new Set(keys.map(keySlot)).size).toBe(1);
    // The three keys sharing a hash tag went out in one MGET.
    expect(calls.some(keys => keys.length === 3)).toBe(true);
  });

  it('deletes many keys with one UNLINK per slot and counts what existed', async () => {
    const spread = keysOfDistinctSlots(5);
    const tagged = Array.from({ length: 4 }, (_, i) => `${cache.namespace}:{t}:${i}`);
    await store.setMany(
      [...spread, ...tagged].map(key => [key, Buffer.from('v')] as const),
      60_000,
    );
    const unlink = vi.spyOn(cluster, 'unlink');
    expect(await store.delete([...spread, ...tagged, `${cache.namespace}:{t}:missing`])).toBe(9);
    expect(unlink).toHaveBeenCalledTimes(spread.length + 1);
    for (const call of unlink.mock.calls) {
      expect(new Set(((call as unknown[]).flat() as string[]).map(keySlot)).size).toBe(1);
    }
  });

  it('deletePattern, keys and clear reach keys on every master, without CROSSSLOT', async () => {
    const entries = Array.from({ length: 300 }, (_, i) => [`spread:${i}`, i] as const);
    await cache.setMany(entries);
    const masters = cluster.nodes('master');
    expect(masters.length).toBeGreaterThanOrEqual(3);
    const perMaster = await Promise.all(
      masters.map(async master => {
        const [, found] = await master.scan(
          '0',
          'MATCH',
          `${cache.namespace}:spread:*`,
          'COUNT',
          100_000,
        );
        return found.length;
      }),
    );
    expect(perMaster.every(count => count > 0)).toBe(true);

    const listed: string[] = [];
    for await (const key of cache.keys('spread:*')) listed.push(key);
    expect(new Set(listed).size).toBe(300);
    expect(await cache.deletePattern('spread:1*')).toBe(111);
    expect(await cache.clear()).toBe(189);
    expect((await cache.getMany(entries.map(([key]) => key))).size).toBe(0);
  });

  it('refuses to scan when a slot has no reachable master, instead of skipping its keys', async () => {
    const slots = cluster.slots;
    const missing = [...slots];
    missing[42] = ['127.0.0.1:1'];
    vi.spyOn(cluster, 'refreshSlotsCache').mockImplementation(() => undefined);
    Object.defineProperty(cluster, 'slots', { value: missing, configurable: true });
    try {
      await expect(cache.deletePattern('*')).rejects.toThrow(/slot 42 has no reachable master/);
    } finally {
      Object.defineProperty(cluster, 'slots', { value: slots, configurable: true, writable: true });
    }
  });
});

describe('the redis option { cluster }', () => {
  it('is validated at startup, naming the option', async () => {
    await expect(bootCache('cluster', { redis: { cluster: [] } })).rejects.toThrow(
      /redis\.cluster.*non-empty array/,
    );
  });

  it('takes ClusterOptions over the defaults, and closes the client it created', async () => {
    const { module, cache } = await bootCache('cluster', {
      redis: { cluster: redisClusterNodes(), options: { redisOptions: { connectionName: 'pc' } } },
    });
    const breaker = (module.get(CacheStore) as NearStore).inner as ResilientStore;
    const client = (breaker.inner as RedisStore).client as Cluster;
    expect(client.options.enableOfflineQueue).toBe(false);
    expect(client.options.enableAutoPipelining).toBe(true);
    expect(client.options.redisOptions).toMatchObject({
      connectionName: 'pc',
      maxRetriesPerRequest: 1,
    });
    await cache.set('k', 1);
    expect(await cache.get('k')).toBe(1);
    await cache.clear();
    await module.close();
    if (client.status !== 'end') await once(client, 'end');
  });
});
