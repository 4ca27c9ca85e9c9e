import { EventEmitter2 } from '@nestjs/event-emitter';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_EVENTS, CacheService, ENTITY_SAVED } from 'nestjs-page-cache';
import type { PageStats } from '../libs/page-cache/src/cache-statistics.js';
import { payloadsOf, recordCacheEvents } from './fixtures/operability/events.js';
import { opsModule, opsRuns } from './fixtures/operability/ops.fixture.js';
import { fetchPage, type Page } from './support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from './support/http-app.js';
import { redisUrl, uniquePrefix } from './support/redis.js';

/** The counters of a view that saw nothing of a kind. */
const NOTHING: PageStats = {
  hits: 0,
  misses: 0,
  stale: 0,
  earlyHits: 0,
  bypasses: {},
  writes: 0,
  lockWaits: 0,
  bytesServed: 0,
  hitRate: 0,
};

describe.each(ADAPTERS)('cache statistics on %s', adapter => {
  let app: RunningApp;
  let cache: CacheService;
  let prefix: string;
  const get = (path: string, init?: RequestInit) => fetchPage(app, path, init);

  /** Requests `path` and checks its X-Cache. */
  async function expectCache(path: string, label: string, init?: RequestInit): Promise<Page> {
    const page = await get(path, init);
    expect(page.cache, `${init?.method ?? 'GET'} ${path}`).toBe(label);
    return page;
  }

  beforeEach(async () => {
    opsRuns.reset();
    prefix = uniquePrefix('ops_stats');
    app = await startApp(adapter, opsModule({ redis: redisUrl(), keyPrefix: prefix }));
    cache = app.app.get(CacheService);
  });
  afterEach(() => app.close());

  it('starts at zero', () => {
    expect(cache.stats()).toEqual({
      cache: 'default',
      pages: NOTHING,
      views: {},
      methods: {},
      values: { hits: 0, misses: 0, writes: 0, hitRate: 0 },
      invalidations: { count: 0, entriesRemoved: 0 },
      storeErrors: 0,
      breaker: 'closed',
    });
  });

  it('counts hits, misses, writes, bytes and the hit rate per view and in total', async () => {
    await expectCache('/ops/page/a', 'MISS');
    const a = await expectCache('/ops/page/a', 'HIT');
    await expectCache('/ops/page/a', 'HIT');
    await expectCache('/ops/page/b', 'MISS');
    await expectCache('/ops/other/a', 'MISS');
    const other = await expectCache('/ops/other/a', 'HIT');
    await get('/ops/uncached');

    const stats = cache.stats();
    expect(stats.views).toEqual({
      'OpsController.page': {
        ...NOTHING,
        hits: 2,
        // The miss taught the early path the route: its hits are served before Nest's pipeline.
        earlyHits: 2,
        misses: 2,
        writes: 2,
        bytesServed: 2 * a.body.length,
        hitRate: 0.5,
      },
      'ops-other': {
        ...NOTHING,
        hits: 1,
        earlyHits: 1,
        misses: 1,
        writes: 1,
        bytesServed: other.body.length,
        hitRate: 0.5,
      },
    });
    expect(stats.pages).toEqual({
      ...NOTHING,
      hits: 3,
      earlyHits: 3,
      misses: 3,
      writes: 3,
      bytesServed: 2 * a.body.length + other.body.length,
      hitRate: 0.5,
    });
    expect(stats.values).toEqual({ hits: 0, misses: 0, writes: 0, hitRate: 0 });
  });

  it('counts only the body bytes actually sent: none for HEAD and 304 answers', async () => {
    await expectCache('/ops/page/bytes', 'MISS');
    const hit = await expectCache('/ops/page/bytes', 'HIT');
    const etag = hit.headers.get('etag')!;
    expect((await expectCache('/ops/page/bytes', 'HIT', { method: 'HEAD' })).body.length).toBe(0);
    const notModified = await expectCache('/ops/page/bytes', 'HIT', {
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);

    const view = cache.stats().views['OpsController.page']!;
    expect(view.hits).toBe(3);
    expect(view.bytesServed).toBe(hit.body.length);
    expect(cache.stats().pages.bytesServed).toBe(hit.body.length);
  });

  it('counts bypasses by reason, per view and in total', async () => {
    await expectCache('/ops/page/auth', 'BYPASS', { headers: { authorization: 'Bearer x' } });
    expect((await get('/ops/missing')).status).toBe(404);
    await get('/ops/cookie');
    await get('/ops/private');
    await get('/ops/big');
    // Not stored, so requested again, they miss again.
    expect((await get('/ops/cookie')).cache).toBe('MISS');
    expect(opsRuns.of('cookie')).toBe(2);

    const { views, pages } = cache.stats();
    expect(views['OpsController.page']).toEqual({ ...NOTHING, bypasses: { authorization: 1 } });
    expect(views['OpsController.missing']).toEqual({
      ...NOTHING,
      misses: 1,
      bypasses: { status: 1 },
    });
    expect(views['OpsController.cookie']).toEqual({
      ...NOTHING,
      misses: 2,
      bypasses: { 'set-cookie': 2 },
    });
    expect(views['OpsController.privateCache']).toEqual({
      ...NOTHING,
      misses: 1,
      bypasses: { 'cache-control': 1 },
    });
    expect(views['OpsController.big']).toEqual({ ...NOTHING, misses: 1, bypasses: { size: 1 } });
    expect(pages.bypasses).toEqual({
      authorization: 1,
      status: 1,
      'set-cookie': 2,
      'cache-control': 1,
      size: 1,
    });
    expect(pages).toMatchObject({ hits: 0, misses: 5, writes: 0 });
  });

  it('counts stale serves within grace, and the refresh that replaces them', async () => {
    await expectCache('/ops/short', 'MISS');
    await sleep(350);
    // The second render is slow: one request refreshes, the one arriving meanwhile gets it stale.
    const refresh = app.get('/ops/short');
    await sleep(50);
    const other = app.get('/ops/short');
    const labels = (await Promise.all([refresh, other])).map(r => r.headers.get('x-cache'));
    expect(labels.sort()).toEqual(['MISS', 'STALE']);
    expect(cache.stats().views['OpsController.short']?.writes).toBe(2);
    await expectCache('/ops/short', 'HIT');
    expect(cache.stats().views['OpsController.short']).toMatchObject({
      hits: 2,
      stale: 1,
      misses: 2,
      writes: 2,
      hitRate: 2 / 4,
    });
    expect(cache.stats().pages.stale).toBe(1);
  });

  it('counts invalidations and the entries they removed', async () => {
    for (const path of ['/ops/post/1', '/ops/post/2', '/ops/posts']) {
      await expectCache(path, 'MISS');
    }
    expect(await cache.invalidate('Post', 1)).toBe(2); // post/1 and the list
    expect(cache.stats().invalidations).toEqual({ count: 1, entriesRemoved: 2 });

    // An entity event goes through the same counters.
    await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: 'Post' });
    expect(cache.stats().invalidations).toEqual({ count: 2, entriesRemoved: 3 });
    expect(await cache.invalidate('Post', 3)).toBe(0);
    expect(cache.stats().invalidations).toEqual({ count: 3, entriesRemoved: 3 });
    await expectCache('/ops/post/2', 'MISS');
  });

  it('counts values read and written through CacheService', async () => {
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('a', 1);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.has('a')).toBe(true);
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual(new Map([['a', 1]]));
    await cache.setMany({ b: 2, c: 3 });
    await cache.set('d', 'with models', { models: ['Post'] });
    expect(await cache.getOrSet('e', () => 'made')).toBe('made');
    expect(await cache.getOrSet('e', () => 'not again')).toBe('made');

    // Reads: get a (miss), get a (hit), has a (hit), getMany (1 hit, 2 misses), getOrSet e (miss,
    // then hit). Writes: a, b, c, d, e.
    expect(cache.stats().values).toEqual({ hits: 4, misses: 4, writes: 5, hitRate: 0.5 });
    expect(cache.stats().pages).toEqual(NOTHING);
  });

  it('emits events with their payloads on the app event emitter', async () => {
    const received = recordCacheEvents(app.app);
    await expectCache('/ops/post/7', 'MISS');
    const hit = await expectCache('/ops/post/7', 'HIT');
    await expectCache('/ops/post/7', 'BYPASS', { headers: { authorization: 'Bearer x' } });
    await cache.invalidate('Post', 7);
    await cache.set('value', 'v');

    const view = 'OpsController.post';
    const [miss] = payloadsOf(received, CACHE_EVENTS.miss) as { key: string }[];
    expect(miss).toEqual({ cache: 'default', view, key: expect.any(String) });
    expect(miss!.key).toMatch(new RegExp(`^${prefix}:1:page:${view}:Post/7:`));
    const { key } = miss!;
    expect(payloadsOf(received, CACHE_EVENTS.write)).toEqual([
      { cache: 'default', view, key, bytes: hit.body.length },
      { cache: 'default', view: undefined, key: 'value', bytes: expect.any(Number) },
    ]);
    expect(payloadsOf(received, CACHE_EVENTS.hit)).toEqual([
      { cache: 'default', view, key, bytes: hit.body.length, stale: false },
    ]);
    expect(payloadsOf(received, CACHE_EVENTS.bypass)).toEqual([
      { cache: 'default', view, reason: 'authorization' },
    ]);
    expect(payloadsOf(received, CACHE_EVENTS.invalidated)).toEqual([
      { cache: 'default', model: 'Post', id: 7, removed: 1 },
    ]);
    expect(received.map(item => item.event)).toEqual([
      'cache.miss',
      'cache.write',
      'cache.hit',
      'cache.bypass',
      'cache.invalidated',
      'cache.write',
    ]);
  });
});

describe('cache statistics switched off', () => {
  it('counts nothing and emits nothing with statistics: false', async () => {
    const app = await startApp(
      'express',
      opsModule({ redis: redisUrl(), keyPrefix: uniquePrefix('ops_off'), statistics: false }),
    );
    try {
      const received = recordCacheEvents(app.app);
      const cache = app.app.get(CacheService);
      await fetchPage(app, '/ops/page/off');
      expect((await fetchPage(app, '/ops/page/off')).cache).toBe('HIT');
      await cache.set('a', 1);
      await cache.get('a');
      await cache.invalidate('Post');
      expect(cache.stats()).toMatchObject({
        pages: NOTHING,
        views: {},
        values: { hits: 0, misses: 0, writes: 0, hitRate: 0 },
        invalidations: { count: 0, entriesRemoved: 0 },
      });
      expect(received).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
