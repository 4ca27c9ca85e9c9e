import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { CacheLockTimeoutError, CacheStore, type CacheService } from 'nestjs-page-cache';
import type { TestingModule } from '@nestjs/testing';
import { bootCache, STORES, type StoreKind } from './support/cache-app.js';
import { redisClusterNodes, redisUrl } from './support/redis.js';

describe.each(STORES)('CacheService contract on the %s store', (kind: StoreKind) => {
  let module: TestingModule;
  let cache: CacheService;
  let store: CacheStore;

  beforeEach(async () => {
    ({ module, cache } = await bootCache(kind, { ttl: '1m' }));
    store = module.get(CacheStore);
  });
  afterEach(async () => {
    await cache.clear();
    await module.close();
  });

  describe('get / set', () => {
    it('round-trips JSON values and misses unknown keys', async () => {
      const value = { title: 'Hello', tags: ['a', 'b'], n: 1.5, nested: { ok: true }, none: null };
      await cache.set('post:1', value);
      expect(await cache.get('post:1')).toEqual(value);
      expect(await cache.get('post:2')).toBeUndefined();
      await cache.set('null', null);
      expect(await cache.get('null')).toBeNull();
      await cache.set('str', '42');
      expect(await cache.get('str')).toBe('42');
    });

    it('round-trips Buffers byte for byte', async () => {
      const bytes = Buffer.from([0, 255, 0xfe, 0xca, 1, 10, 13, 0, 128]);
      await cache.set('bin', bytes);
      const back = await cache.get<Buffer>('bin');
      expect(Buffer.isBuffer(back)).toBe(true);
      expect(back?.equals(bytes)).toBe(true);
    });

    it('namespaces keys as {keyPrefix}:{version}:{key} on the wire', async () => {
      await cache.set('k', 'v');
      expect(await store.get(`${cache.namespace}:k`)).toBeDefined();
      expect(cache.namespace).toMatch(/:1$/);
    });

    it('expires entries after their TTL, and keeps ttl 0 entries', async () => {
      await cache.set('short', 'x', 80);
      await cache.set('forever', 'y', 0);
      expect(await cache.get('short')).toBe('x');
      await sleep(160);
      expect(await cache.get('short')).toBeUndefined();
      expect(await cache.get('forever')).toBe('y');
      expect(await cache.ttl('forever')).toBeNull();
    });

    it('accepts duration strings and applies the module default TTL', async () => {
      await cache.set('d', 1, '2s');
      const left = await cache.ttl('d');
      expect(left).toBeGreaterThan(1000);
      expect(left).toBeLessThanOrEqual(2000);
      await cache.set('default', 1);
      expect(await cache.ttl('default')).toBeGreaterThan(50_000);
    });
  });

  describe('bad input writes nothing', () => {
    it.each([-1, Number.NaN, '5 minutes', 'abc'])('rejects ttl %j', async ttl => {
      await expect(cache.set('bad-ttl', 'v', ttl as never)).rejects.toThrow(/Invalid ttl/);
      expect(await cache.has('bad-ttl')).toBe(false);
    });

    it.each([
      ['', /non-empty/],
      ['a\nb', /control character/],
      ['x'.repeat(1025), /1024/],
      ['~internal', /reserved/],
    ])('rejects key %j', async (key, message) => {
      await expect(cache.set(key, 'v')).rejects.toThrow(message);
      await expect(cache.get(key)).rejects.toThrow(TypeError);
    });

    it('rejects values that cannot be serialized', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(cache.set('c', circular)).rejects.toThrow(/Cannot serialize/);
      await expect(cache.set('b', 10n)).rejects.toThrow(/Cannot serialize/);
      await expect(cache.set('u', undefined)).rejects.toThrow(/Cannot serialize/);
      await expect(cache.set('f', () => 1)).rejects.toThrow(/Cannot serialize/);
      expect(await cache.getMany(['c', 'b', 'u', 'f'])).toEqual(new Map());
      await expect(cache.setMany({ ok: 1, bad: 2n })).rejects.toThrow(/Cannot serialize/);
      expect(await cache.has('ok')).toBe(false);
    });
  });

  describe('add', () => {
    it('stores only when absent', async () => {
      expect(await cache.add('a', 1)).toBe(true);
      expect(await cache.add('a', 2)).toBe(false);
      expect(await cache.get('a')).toBe(1);
    });

    it('lets exactly one of many concurrent callers win', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.add('race', i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await cache.get('race')).toBe(winner);
    });
  });

  describe('has / delete / deleteMany', () => {
    it('reports and removes keys', async () => {
      await cache.setMany({ a: 1, b: 2, c: 3 });
      expect(await cache.has('a')).toBe(true);
      expect(await cache.delete('a')).toBe(true);
      expect(await cache.delete('a')).toBe(false);
      expect(await cache.has('a')).toBe(false);
      expect(await cache.deleteMany(['b', 'c', 'zz'])).toBe(2);
    });
  });

  describe('getMany / setMany', () => {
    it('returns a Map of the keys found', async () => {
      await cache.setMany([
        ['x', { v: 1 }],
        ['y', 'two'],
      ]);
      const found = await cache.getMany(['x', 'missing', 'y']);
      expect([...found.entries()]).toEqual([
        ['x', { v: 1 }],
        ['y', 'two'],
      ]);
    });

    it('applies one TTL to all entries', async () => {
      await cache.setMany({ p: 1, q: 2 }, 80);
      await sleep(160);
      expect((await cache.getMany(['p', 'q'])).size).toBe(0);
    });
  });

  describe('getOrSet', () => {
    it('set with tracked models never stores a value read before a save that resolved', async () => {
      const tracked = await cache.track(['Price', { model: 'Product', id: 7 }]);
      const read = 'price read before the save';
      await cache.invalidate('Product', 7);
      await cache.set('tracked', read, { tracked });
      expect(await cache.get('tracked')).toBeUndefined();
      // Without a save in between it is stored, and a later save removes it.
      const again = await cache.track(['Price']);
      await cache.set('tracked', 'fresh', { tracked: again });
      expect(await cache.get('tracked')).toBe('fresh');
      await cache.invalidate('Price');
      expect(await cache.get('tracked')).toBeUndefined();
      await expect(cache.set('x', 1, { tracked: again, models: ['Price'] })).rejects.toThrow(
        /models or tracked, not both/,
      );
    });

    it('lets generation tokens expire; an entry whose token expired is a miss', async () => {
      const short = await bootCache(kind, { generationTtl: 300 });
      const store = short.module.get<CacheStore>(CacheStore);
      const tokens = async () => {
        let count = 0;
        for await (const batch of store.scan(`${short.cache.namespace}:~gen:*`))
          count += batch.length;
        return count;
      };
      try {
        // 50 entities nothing was built from: their invalidations remove tokens, create none.
        for (let id = 0; id < 50; id++) await short.cache.invalidate('Ghost', id);
        expect(await tokens()).toBe(0);
        await short.cache.set('value', 1, { models: ['Kept'] });
        expect(await short.cache.get('value')).toBe(1);
        expect(await tokens()).toBe(1);
        await sleep(500);
        expect(await tokens()).toBe(0);
        expect(await short.cache.get('value')).toBeUndefined();
      } finally {
        await short.module.close();
      }
    });

    it('invalidates a model whose index holds 130,000 entries (no argument list overflows)', async () => {
      // Filling the set is the slow part here; the cache's own calls stay short.
      const big = await bootCache(kind, { commandTimeout: 5_000 });
      try {
        const store = big.module.get<CacheStore>(CacheStore);
        const setKey = `${big.cache.namespace}:~idx:Big`;
        const members = Array.from(
          { length: 130_000 },
          (_, i) => `${big.cache.namespace}:gone:${i}`,
        );
        for (let i = 0; i < members.length; i += 2_000) {
          await Promise.all(members.slice(i, i + 2_000).map(m => store.addToSets([setKey], m, 0)));
        }
        await big.cache.set('real', 1, { models: ['Big'] });
        expect(await big.cache.invalidate('Big')).toBe(1);
        expect(await store.members(setKey)).toEqual([]);
      } finally {
        await big.module.close();
      }
    }, 60_000);

    it('never gives a caller that arrived after invalidate() resolved a value computed before it', async () => {
      let version = 1;
      let started!: () => void;
      const running = new Promise<void>(resolve => (started = resolve));
      let open!: () => void;
      const gate = new Promise<void>(resolve => (open = resolve));
      const first = cache.getOrSet(
        'price',
        async () => {
          const read = version;
          started();
          await gate;
          return read;
        },
        { models: ['Price'] },
      );
      await running;
      version = 2;
      await cache.invalidate('Price');
      // Arrives after the invalidation: it may share the fill in progress only if still current.
      const second = cache.getOrSet('price', () => version, { models: ['Price'] });
      open();
      expect(await first).toBe(1);
      expect(await second).toBe(2);
    });

    it('calls the factory once for concurrent callers and caches the result', async () => {
      let calls = 0;
      const factory = async () => {
        calls += 1;
        await sleep(50);
        return { rendered: calls };
      };
      const results = await Promise.all(
        Array.from({ length: 20 }, () => cache.getOrSet('expensive', factory)),
      );
      expect(calls).toBe(1);
      expect(results.every(r => r.rendered === 1)).toBe(true);
      expect(await cache.getOrSet('expensive', factory)).toEqual({ rendered: 1 });
      expect(calls).toBe(1);
    });

    it('passes a rejection to every waiter and caches nothing', async () => {
      let calls = 0;
      const factory = async () => {
        calls += 1;
        await sleep(30);
        throw new Error('db down');
      };
      const settled = await Promise.allSettled(
        Array.from({ length: 5 }, () => cache.getOrSet('failing', factory)),
      );
      expect(calls).toBe(1);
      expect(settled.every(s => s.status === 'rejected' && /db down/.test(String(s.reason)))).toBe(
        true,
      );
      expect(await cache.has('failing')).toBe(false);
      expect(await cache.getOrSet('failing', () => 'recovered')).toBe('recovered');
    });
  });

  describe('incr / decr', () => {
    it('counts atomically from 0 and gives a new counter its TTL', async () => {
      await Promise.all(Array.from({ length: 25 }, () => cache.incr('hits')));
      expect(await cache.get('hits')).toBe(25);
      expect(await cache.decr('hits', 5)).toBe(20);
      expect(await cache.incr('fresh', 3, { ttl: 80 })).toBe(3);
      await sleep(160);
      expect(await cache.get('fresh')).toBeUndefined();
    });

    it('works on integers stored with set, and refuses non-integers', async () => {
      await cache.set('n', 41);
      expect(await cache.incr('n')).toBe(42);
      await cache.set('s', { not: 'a number' });
      await expect(cache.incr('s')).rejects.toThrow(/not an integer/);
      await expect(cache.incr('s')).rejects.toBeInstanceOf(TypeError);
      await expect(cache.incr('n', 1.5)).rejects.toThrow(/Invalid delta/);
    });

    const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1

    it('returns the exact value up to ±(2^53 - 1)', async () => {
      await cache.set('up', MAX - 2);
      expect(await cache.incr('up')).toBe(MAX - 1);
      expect(await cache.incr('up')).toBe(MAX);
      expect(await cache.get('up')).toBe(MAX);
      await cache.set('down', -MAX + 2);
      expect(await cache.decr('down', 2)).toBe(-MAX);
      expect(await cache.get('down')).toBe(-MAX);
    });

    it('refuses a result past ±(2^53 - 1) with a RangeError naming the key, and changes nothing', async () => {
      await cache.set('up', MAX);
      const refusal = cache.incr('up');
      await expect(refusal).rejects.toThrow(RangeError);
      await expect(refusal).rejects.toThrow(/counter "up": it would become 9007199254740992,/);
      expect(await cache.get('up')).toBe(MAX);
      await expect(cache.incr('up', MAX)).rejects.toThrow(RangeError);
      expect(await cache.get('up')).toBe(MAX);

      await cache.set('down', -MAX);
      await expect(cache.decr('down')).rejects.toThrow(RangeError);
      expect(await cache.get('down')).toBe(-MAX);
      // A refused increment of a missing key creates nothing.
      await expect(cache.incr('absent', MAX).then(() => cache.incr('absent'))).rejects.toThrow(
        /"absent"/,
      );
      expect(await cache.get('absent')).toBe(MAX);
    });

    it('lets exactly the increments that fit through when many race for the bound', async () => {
      await cache.set('race', MAX - 5);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => cache.incr('race')),
      );
      const granted = outcomes.flatMap(o => (o.status === 'fulfilled' ? [o.value] : []));
      expect(granted.sort((a, b) => a - b)).toEqual([MAX - 4, MAX - 3, MAX - 2, MAX - 1, MAX]);
      for (const outcome of outcomes.filter(o => o.status === 'rejected')) {
        expect(outcome.reason).toBeInstanceOf(RangeError);
      }
      expect(await cache.get('race')).toBe(MAX);
    });

    it('refuses to count further past 2^53 from a value written by another client', async () => {
      const wire = `${cache.namespace}:foreign-counter`;
      await store.set(wire, Buffer.from('9007199254740992'), 0); // 2^53
      await expect(cache.incr('foreign-counter')).rejects.toThrow(RangeError);
      expect((await store.get(wire))?.toString()).toBe('9007199254740992');
      // Back into the safe range is fine, and exact.
      expect(await cache.decr('foreign-counter')).toBe(MAX);
    });

    it('reads integers of up to 19 digits written by another client, never as corrupt', async () => {
      const written = {
        safe: '9007199254740991',
        unsafe: '9007199254740993',
        long: '1234567890123456789',
        negative: '-9223372036854775808',
        beyondInt64: '9999999999999999999',
      };
      for (const [key, text] of Object.entries(written)) {
        await store.set(`${cache.namespace}:${key}`, Buffer.from(text), 0);
      }
      expect(await cache.get('safe')).toBe(9007199254740991);
      expect(await cache.get('unsafe')).toBe(9007199254740993n);
      expect(await cache.get('long')).toBe(1234567890123456789n);
      expect(await cache.get('negative')).toBe(-9223372036854775808n);
      expect(await cache.get('beyondInt64')).toBe(9999999999999999999n);
      const many = await cache.getMany(Object.keys(written));
      expect([...many.values()]).toEqual([
        9007199254740991,
        9007199254740993n,
        1234567890123456789n,
        -9223372036854775808n,
        9999999999999999999n,
      ]);
      for (const [key, text] of Object.entries(written)) {
        expect((await store.get(`${cache.namespace}:${key}`))?.toString()).toBe(text);
      }
    });
  });

  describe('touch / ttl', () => {
    it('changes lifetimes and reports them', async () => {
      await cache.set('t', 1, 80);
      expect(await cache.touch('t', 0)).toBe(true);
      await sleep(160);
      expect(await cache.get('t')).toBe(1);
      expect(await cache.ttl('t')).toBeNull();
      expect(await cache.touch('t', '1h')).toBe(true);
      expect(await cache.ttl('t')).toBeGreaterThan(3_500_000);
      expect(await cache.touch('missing', 1000)).toBe(false);
      expect(await cache.ttl('missing')).toBeUndefined();
    });
  });

  describe('deletePattern / keys / clear', () => {
    it('deletes by glob within the namespace only', async () => {
      await cache.setMany({
        'user:1': 1,
        'user:2': 2,
        'user:10': 10,
        'post:1': 'p',
        'user:a': 'a',
      });
      expect(await cache.deletePattern('user:?')).toBe(3);
      expect(await collect(cache.keys())).toEqual(['post:1', 'user:10']);
      expect(await cache.deletePattern('user:[0-9]*')).toBe(1);
      expect(await collect(cache.keys('*'))).toEqual(['post:1']);
    });

    it('supports character classes, negation and escapes', async () => {
      await cache.setMany({ 'a*b': 1, axb: 2, 'k[1]': 3, k1: 4, ka: 5 });
      expect(await cache.deletePattern('a\\*b')).toBe(1);
      expect(await cache.has('axb')).toBe(true);
      expect(await cache.deletePattern('k[^1]')).toBe(1);
      expect(await cache.has('ka')).toBe(false);
      expect(await cache.deletePattern('k\\[1\\]')).toBe(1);
      expect(await cache.has('k1')).toBe(true);
    });

    it('escapes a prefix containing glob syntax so other namespaces stay untouched', async () => {
      const a = await bootCache(kind, { keyPrefix: `${prefixOf(cache)}-a*` });
      const ab = await bootCache(kind, { keyPrefix: `${prefixOf(cache)}-ab` });
      if (kind === 'memory') {
        // Separate memory stores cannot reach each other; share one to make the test meaningful.
        return Promise.all([a.module.close(), ab.module.close()]);
      }
      try {
        await a.cache.set('k', 1);
        await ab.cache.set('k', 2);
        expect(await a.cache.deletePattern('*')).toBe(1);
        expect(await ab.cache.get('k')).toBe(2);
        await ab.cache.clear();
      } finally {
        await Promise.all([a.module.close(), ab.module.close()]);
      }
    });

    it('clear() leaves the locks other owners hold', async () => {
      const held = await cache.lock('job', { ttl: '10s' });
      await cache.set('a', 1);
      expect(await cache.clear()).toBe(1);
      // Still held: a second owner cannot take it, and its owner can still release it.
      await expect(cache.lock('job')).rejects.toThrow(/Could not acquire cache lock "job"/);
      await held.release();
      await (await cache.lock('job')).release();
    });

    it('clear() deletes this namespace and nothing else', async () => {
      const other = await bootCache(kind, { keyPrefix: `${prefixOf(cache)}x` });
      try {
        await cache.setMany({ a: 1, b: 2 });
        await other.cache.set('a', 'kept');
        expect(await cache.clear()).toBe(2);
        expect(await cache.has('a')).toBe(false);
        expect(await other.cache.get('a')).toBe('kept');
      } finally {
        await other.cache.clear();
        await other.module.close();
      }
    });

    it('pages through a large result without losing keys', async () => {
      const entries = Array.from({ length: 2500 }, (_, i) => [`bulk:${i}`, i] as const);
      await cache.setMany(entries);
      expect((await collect(cache.keys('bulk:*'))).length).toBe(2500);
      expect(await cache.deletePattern('bulk:*')).toBe(2500);
    });
  });

  describe('lock', () => {
    it('is exclusive, waits a bounded time, and is released by its owner', async () => {
      const first = await cache.lock('job', { ttl: '5s' });
      await expect(cache.lock('job', { waitMs: 50 })).rejects.toBeInstanceOf(CacheLockTimeoutError);
      const waiting = cache.lock('job', { ttl: '5s', wait: '2s' });
      await sleep(30);
      expect(await first.release()).toBe(true);
      const second = await waiting;
      expect(await second.release()).toBe(true);
    });

    it('never releases a lock that expired and was taken by another owner', async () => {
      const first = await cache.lock('owned', { ttl: 60 });
      await sleep(120);
      const second = await cache.lock('owned', { ttl: '5s' });
      expect(await first.release()).toBe(false);
      await expect(cache.lock('owned', { waitMs: 0 })).rejects.toBeInstanceOf(
        CacheLockTimeoutError,
      );
      expect(await second.release()).toBe(true);
    });

    it('refuses locks that never expire', async () => {
      await expect(cache.lock('forever', { ttl: 0 })).rejects.toThrow(/must expire/);
    });
  });

  describe('corrupt or foreign values', () => {
    it('treats them as a miss and removes them', async () => {
      const wire = `${cache.namespace}:foreign`;
      await store.set(wire, Buffer.from('not one of ours'), 0);
      expect(await cache.get('foreign')).toBeUndefined();
      expect(await store.has(wire)).toBe(false);
    });
  });
});

describe('CacheService with a custom serializer', () => {
  it('uses it for values and keeps Buffers raw', async () => {
    const { module, cache } = await bootCache('memory', {
      serializer: {
        serialize: value => `S:${JSON.stringify(value)}`,
        deserialize: bytes => ({ wrapped: JSON.parse(bytes.toString().slice(2)) }),
      },
    });
    await cache.set('v', [1, 2]);
    expect(await cache.get('v')).toEqual({ wrapped: [1, 2] });
    await module.close();
  });
});

describe('CacheModule with a lent Redis client', () => {
  it('never closes a client it did not create', async () => {
    const client = new Redis(redisUrl());
    const { module, cache } = await bootCache('redis', { redis: client });
    await cache.set('k', 1);
    await module.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('never closes a Cluster it did not create', async () => {
    const client = new Cluster(redisClusterNodes());
    const { module, cache } = await bootCache('cluster', { redis: client });
    await cache.set('k', 1);
    expect(await cache.get('k')).toBe(1);
    await cache.clear();
    await module.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out.sort();
}

/** The key prefix of a cache (its namespace is `{keyPrefix}:{version}`). */
function prefixOf(cache: { namespace: string }): string {
  return cache.namespace.slice(0, cache.namespace.lastIndexOf(':'));
}
