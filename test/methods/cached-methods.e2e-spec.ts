import { EventEmitter2 } from '@nestjs/event-emitter';
import { InvalidationPipeline } from '../../libs/page-cache/src/invalidation/invalidation-pipeline.js';
import { Redis } from 'ioredis';
import { ENTITY_SAVED, CacheService, type CacheModuleOptions } from 'nestjs-page-cache';
import {
  Price,
  PriceService,
  priceRuns,
  priceTable,
  pricesModule,
} from '../fixtures/methods/prices.fixture.js';
import { fetchPage, json } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

describe.each(ADAPTERS)('@Cached service methods on %s', adapter => {
  const apps: RunningApp[] = [];

  async function boot(options: CacheModuleOptions = {}): Promise<{
    app: RunningApp;
    prices: PriceService;
    cache: CacheService;
  }> {
    const app = await startApp(
      adapter,
      pricesModule({ redis: redisUrl(), keyPrefix: uniquePrefix('methods'), ...options }),
    );
    apps.push(app);
    return { app, prices: app.app.get(PriceService), cache: app.app.get(CacheService) };
  }

  async function getJson(app: RunningApp, path: string): Promise<unknown> {
    const page = await fetchPage(app, path);
    expect(page.status, path).toBe(200);
    return json(page);
  }

  beforeEach(() => {
    priceRuns.reset();
    priceTable.reset();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.close()));
  });

  it('runs the method once for 100 concurrent callers, through a route and directly', async () => {
    const { app, prices, cache } = await boot();
    priceTable.readDelayMs = 100;
    const answers = await Promise.all([
      ...Array.from({ length: 50 }, () => getJson(app, '/prices/apple')),
      ...Array.from({ length: 50 }, () => prices.price('apple')),
    ]);
    expect(priceRuns.of('price:apple')).toBe(1);
    for (const answer of answers) expect(answer).toEqual({ sku: 'apple', price: 1 });

    // Then from the store, still without running it.
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 1 });
    expect(await getJson(app, '/prices/apple')).toEqual({ sku: 'apple', price: 1 });
    expect(priceRuns.of('price:apple')).toBe(1);
    expect(cache.stats().methods['PriceService.price']).toEqual({
      hits: 101,
      misses: 1,
      writes: 1,
      hitRate: 101 / 102,
    });
    // Calls of methods are theirs, not the values'.
    expect(cache.stats().values).toMatchObject({ hits: 0, misses: 0 });
    // The default key: Class.method and the arguments, readable.
    expect(await cache.get('PriceService.price:("apple")')).toEqual({ sku: 'apple', price: 1 });
  });

  it('runs the method once across two processes sharing Redis (the fill lock)', async () => {
    const keyPrefix = uniquePrefix('methods_shared');
    const one = await boot({ keyPrefix });
    const two = await boot({ keyPrefix });
    priceTable.readDelayMs = 200;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0 ? getJson(one.app, '/prices/pear') : two.prices.price('pear'),
      ),
    );
    expect(priceRuns.of('price:pear')).toBe(1);
    for (const answer of answers) expect(answer).toEqual({ sku: 'pear', price: 2 });
    const stats = [one, two].map(({ cache }) => cache.stats().methods['PriceService.price']!);
    expect(stats[0]!.misses + stats[1]!.misses).toBe(1);
  });

  it('is cleared by an invalidation of its entity (from the arguments) or of its model', async () => {
    const { app, prices, cache } = await boot();
    await prices.price('apple');
    await prices.price('pear');
    await getJson(app, '/prices');
    expect([priceRuns.of('price:apple'), priceRuns.of('price:pear'), priceRuns.of('all')]).toEqual([
      1, 1, 1,
    ]);

    priceTable.rows.set('apple', 10);
    await cache.invalidate(Price, 'apple');
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 10 });
    expect(await prices.price('pear')).toEqual({ sku: 'pear', price: 2 });
    expect(await getJson(app, '/prices')).toEqual({ apple: 10, pear: 2 });
    // The other entity stayed cached; the list, built from the whole model, did not.
    expect([priceRuns.of('price:apple'), priceRuns.of('price:pear'), priceRuns.of('all')]).toEqual([
      2, 1, 2,
    ]);

    // An entity event does the same; one without an id reaches every entity.
    priceTable.rows.set('pear', 20);
    await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: Price });
    expect(await getJson(app, '/prices/pear')).toEqual({ sku: 'pear', price: 20 });
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 10 });
    expect([priceRuns.of('price:apple'), priceRuns.of('price:pear'), priceRuns.of('all')]).toEqual([
      3, 2, 2,
    ]);
  });

  it('checks the tokens of a stored result: one whose index entry was lost is still outdated', async () => {
    const keyPrefix = uniquePrefix('methods_evicted');
    const { prices, cache } = await boot({ keyPrefix });
    await prices.price('apple');
    // As if Redis had evicted the index sets: invalidation cannot find the entry to remove it.
    const redis = new Redis(redisUrl());
    try {
      const sets = await redis.keys(`${keyPrefix}:1:~idx:*`);
      expect(sets.length).toBeGreaterThan(0);
      await redis.del(...sets);
    } finally {
      redis.disconnect();
    }
    priceTable.rows.set('apple', 4);
    await cache.invalidate(Price, 'apple');
    expect(await cache.get('PriceService.price:("apple")')).toBeUndefined();
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 4 });
    expect(priceRuns.of('price:apple')).toBe(2);
  });

  it('never returns a value read before an invalidation that resolved before the call', async () => {
    const { prices, cache } = await boot();
    // A call reads the old row, then stays in flight while the row changes and the invalidation
    // returns; calls that start after that must get the new row, from now on.
    let readOld!: () => void;
    const oldRead = new Promise<void>(resolve => (readOld = resolve));
    let release!: () => void;
    const held = new Promise<void>(resolve => (release = resolve));
    priceTable.onRead = async (_sku, value) => {
      if (value !== 1) return;
      readOld();
      await held;
    };
    const first = prices.price('apple');
    await oldRead;
    priceTable.rows.set('apple', 5);
    await cache.invalidate(Price, 'apple');

    const joined = prices.price('apple'); // finds the first call in flight
    release();
    expect(await first).toEqual({ sku: 'apple', price: 1 }); // it began before the invalidation
    expect(await joined).toEqual({ sku: 'apple', price: 5 });
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 5 }); // nothing stale kept
    expect(priceRuns.of('price:apple')).toBe(2);
  });

  it('never returns a stale price under concurrent saves (randomized)', async () => {
    const { prices, cache } = await boot();
    priceTable.readDelayMs = 3;
    let version = 0;
    for (let round = 0; round < 25; round++) {
      const readers = Array.from({ length: 5 }, (_, i) =>
        (async () => {
          await new Promise(resolve => setTimeout(resolve, (i * 7 + round) % 9));
          return prices.price('apple');
        })(),
      );
      await new Promise(resolve => setTimeout(resolve, round % 6));
      version += 1;
      priceTable.rows.set('apple', version);
      await cache.invalidate(Price, 'apple');
      const saved = version;
      // Every call that starts once invalidate() has resolved sees that save (or a later one).
      const after = await Promise.all(Array.from({ length: 3 }, () => prices.price('apple')));
      for (const answer of after) expect(answer.price).toBeGreaterThanOrEqual(saved);
      await Promise.all(readers);
    }
  });

  it('runs the method while an invalidation of its model has not reached the store', async () => {
    const { prices, app } = await boot();
    const pending = app.app.get(InvalidationPipeline).pending;
    await prices.price('apple');
    await prices.echo('x');
    // What the outbox or the journal records when a save's invalidation could not be delivered.
    pending.add('record-1', 'Price', {});
    priceTable.rows.set('apple', 9);
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 9 });
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 9 });
    expect(priceRuns.of('price:apple')).toBe(3);
    await prices.echo('x'); // built from no model: still cached
    expect(priceRuns.of('echo')).toBe(1);

    pending.delivered(['record-1']);
    await prices.price('apple'); // from the cache again (nothing invalidated it in this test)
    expect(priceRuns.of('price:apple')).toBe(3);
  });

  it('runs the method when Redis is down, and caches again once it is back', async () => {
    const server = await RedisServer.start();
    try {
      const { prices } = await boot({ redis: server.url, breaker: { cooldown: '100ms' } });
      await prices.price('apple');
      await prices.price('apple');
      expect(priceRuns.of('price:apple')).toBe(1);

      await server.kill();
      priceTable.rows.set('apple', 3);
      for (let i = 1; i <= 3; i++) {
        const started = performance.now();
        expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 3 });
        expect(performance.now() - started).toBeLessThan(1_500);
      }
      expect(priceRuns.of('price:apple')).toBe(4);
      // A cold key too: one run per call, never an error.
      expect(await prices.price('pear')).toEqual({ sku: 'pear', price: 2 });

      await server.restart();
      let attempt = 0;
      await vi.waitFor(
        async () => {
          // A new key each time: one stored by an earlier attempt would be a hit twice.
          const sku = `kiwi-${++attempt}`;
          await prices.price(sku);
          await prices.price(sku);
          expect(priceRuns.of(`price:${sku}`)).toBe(1);
        },
        { timeout: 5_000, interval: 100 },
      );
    } finally {
      await Promise.all(apps.splice(0).map(app => app.close()));
      await server.kill();
    }
  });

  it('runs the method, within bounded time, when Redis hangs (SIGSTOP)', async () => {
    const server = await RedisServer.start();
    try {
      const { prices } = await boot({ redis: server.url, breaker: { cooldown: '100ms' } });
      await prices.price('apple');
      server.pause();
      try {
        priceTable.rows.set('apple', 6);
        for (let i = 0; i < 4; i++) {
          const started = performance.now();
          expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 6 });
          // A few command timeouts (200 ms) at most, before the breaker opens.
          expect(performance.now() - started).toBeLessThan(1_500);
        }
        expect(priceRuns.of('price:apple')).toBe(5);
      } finally {
        server.resume();
      }
    } finally {
      await Promise.all(apps.splice(0).map(app => app.close()));
      await server.kill();
    }
  });

  it('fails a call whose arguments cannot be encoded with a TypeError, without running it', async () => {
    const { prices } = await boot();
    await expect(prices.echo('a', () => 1)).rejects.toThrow(TypeError);
    await expect(prices.echo('a', () => 1)).rejects.toThrow(
      /@Cached PriceService\.echo: its 2nd argument cannot be part of a cache key: it is a function/,
    );
    await expect(prices.echo({ at: new (class Money {})() })).rejects.toThrow(
      /its 1st argument \(at \.at\) .*an instance of Money, which has no toJSON/,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(prices.echo(cyclic)).rejects.toThrow(/a cycle/);
    expect(priceRuns.of('echo')).toBe(0);

    // What can be encoded is cached, each distinct call apart.
    expect(await prices.echo(1)).toBe(1);
    expect(await prices.echo('1')).toBe(1);
    expect(await prices.echo(1, undefined)).toBe(2);
    expect(await prices.echo(1)).toBe(1);
    expect(priceRuns.of('echo')).toBe(3);
  });

  it('returns a result the serializer cannot store, without caching it', async () => {
    const { prices } = await boot();
    expect(await prices.nothing()).toBeUndefined();
    expect(await prices.nothing()).toBeUndefined();
    expect(priceRuns.of('nothing')).toBe(2);
  });

  it('invalidates after a service method with @Invalidates resolves, called by a route or directly', async () => {
    const { app, prices } = await boot();
    await prices.price('apple');
    await prices.price('pear');
    await prices.all();

    const saved = await app.get('/prices/apple/7', { method: 'POST' });
    expect(saved.status).toBe(201);
    expect(await getJson(app, '/prices/apple')).toEqual({ sku: 'apple', price: 7 });
    expect(await prices.all()).toEqual({ apple: 7, pear: 2 });
    expect(await prices.price('pear')).toEqual({ sku: 'pear', price: 2 });
    expect([priceRuns.of('price:apple'), priceRuns.of('price:pear'), priceRuns.of('all')]).toEqual([
      2, 1, 2,
    ]);

    // Directly, a whole-model invalidation; a rejected call invalidates nothing.
    await prices.discountAll(50);
    expect(await prices.price('pear')).toEqual({ sku: 'pear', price: 1 });
    expect(priceRuns.of('price:pear')).toBe(2);
    await expect(prices.failToSave()).rejects.toThrow('the save failed');
    expect(await prices.price('pear')).toEqual({ sku: 'pear', price: 1 });
    expect(priceRuns.of('price:pear')).toBe(2);
  });

  it('stores results through the module serializer', async () => {
    const serialized: unknown[] = [];
    const { prices, cache } = await boot({
      serializer: {
        serialize: value => {
          serialized.push(value);
          return JSON.stringify({ wrapped: value });
        },
        deserialize: bytes => (JSON.parse(bytes.toString()) as { wrapped: unknown }).wrapped,
      },
    });
    await prices.price('apple');
    expect(serialized).toEqual([{ sku: 'apple', price: 1 }]);
    expect(await prices.price('apple')).toEqual({ sku: 'apple', price: 1 });
    expect(priceRuns.of('price:apple')).toBe(1);
    expect(cache.stats().methods['PriceService.price']).toMatchObject({ hits: 1, misses: 1 });
  });
});
