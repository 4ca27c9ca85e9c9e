import { EventEmitter2 } from '@nestjs/event-emitter';
import { Redis } from 'ioredis';
import { CACHE_EVENTS, CacheService, ENTITY_SAVED } from 'nestjs-page-cache';
import { registerCacheMetrics } from 'nestjs-page-cache/prometheus';
import { varnishPurge } from 'nestjs-page-cache/varnish';
import { Registry } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeEntry } from '../../libs/page-cache/src/codec.js';
import { pathTag, urlTag } from '../../libs/page-cache/src/keys.js';
import { afterRead, Article, EdgeModule, titles } from '../fixtures/edge/edge.fixture.js';
import { PurgeReceiver } from '../fixtures/edge/purge-receiver.js';
import { fetchPage, type Page } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

/** The lookup tags of a URL without a query, as pages carry them and expirePage purges them. */
const pathTags = (path: string) => [pathTag(path), urlTag(path, '[]')];

describe.each(ADAPTERS)('edge cache tags and purges on %s', adapter => {
  let app: RunningApp;
  let cache: CacheService;
  let receiver: PurgeReceiver;
  let redis: Redis;
  let prefix: string;
  const get = (path: string, init?: RequestInit) => fetchPage(app, path, init);
  const tagsOf = (page: Page) => page.headers.get('xkey')?.split(' ');

  beforeEach(async () => {
    afterRead.wait = undefined;
    titles.clear();
    titles.set('1', 'one').set('2', 'two').set('a b,c', 'odd');
    receiver = new PurgeReceiver();
    await receiver.start();
    prefix = uniquePrefix('edge');
    app = await startApp(
      adapter,
      EdgeModule.with({
        redis: redisUrl(),
        keyPrefix: prefix,
        pages: { edge: { header: 'xkey', purge: varnishPurge({ url: receiver.url }) } },
      }),
    );
    cache = app.app.get(CacheService);
    redis = new Redis(redisUrl());
  });
  afterEach(async () => {
    await cache.clear();
    await app.close();
    await receiver.stop();
    redis.disconnect();
  });

  it('tags a page an edge may share on its miss, in its stored entry, and on early and late hits', async () => {
    const expected = ['Article/1', 'Article/', ...pathTags('/articles/1')];
    const miss = await get('/articles/1');
    expect(miss.cache).toBe('MISS');
    expect(tagsOf(miss)).toEqual(expected);
    expect(miss.headers.get('cache-control')).toBeNull();

    const [key] = await redis.keys(`${prefix}:1:page:*`);
    const entry = decodeEntry((await redis.getBuffer(key!))!, 1 << 20);
    expect(entry?.meta.k).toBe('page');
    expect(entry?.meta.k === 'page' && entry.meta.h).toContainEqual(['xkey', expected.join(' ')]);

    const early = await get('/articles/1');
    expect(early.cache).toBe('HIT');
    expect(tagsOf(early)).toEqual(expected);
    expect(cache.stats().views['EdgeController.show']?.earlyHits).toBe(1);

    expect((await get('/late/1')).cache).toBe('MISS');
    const late = await get('/late/1');
    expect(late.cache).toBe('HIT');
    expect(tagsOf(late)).toEqual(['Article/1', 'Article/', ...pathTags('/late/1')]);
    expect(cache.stats().views['EdgeController.late']).toMatchObject({ hits: 1, earlyHits: 0 });

    // A 304 revalidates the edge's copy, and keeps its tags.
    const revalidated = await get('/articles/1', {
      headers: { 'if-none-match': early.headers.get('etag')! },
    });
    expect(revalidated.status).toBe(304);
    expect(tagsOf(revalidated)).toEqual(expected);
  });

  it('encodes ids with spaces and commas so the header splits into the tags a purge names', async () => {
    const page = await get(`/articles/${encodeURIComponent('a b,c')}`);
    expect(page.text).toBe('a b,c:odd');
    expect(tagsOf(page)).toEqual(['Article/a%20b%2Cc', 'Article/', ...pathTags('/articles/a b,c')]);
    const before = receiver.received.length;
    await cache.invalidate(Article, 'a b,c');
    expect(receiver.tagsSince(before)).toEqual(['Article', 'Article/a%20b%2Cc']);
  });

  it('gives a page built from no model its path tags, which expirePage purges', async () => {
    const page = await get('/plain');
    expect(tagsOf(page)).toEqual(pathTags('/plain'));
    const before = receiver.received.length;
    expect(await cache.expirePage('/plain')).toBe(1);
    expect(receiver.received.slice(before)).toEqual([
      { method: 'PURGE', tags: [pathTag('/plain')] },
    ]);
    expect(tagsOf(page)).toContain(pathTag('/plain'));
  });

  it('never tags a page an edge must not share, and marks it private', async () => {
    const untagged: [string, RequestInit?][] = [
      ['/personal', { headers: { cookie: 'session=abc' } }],
      ['/language', { headers: { 'accept-language': 'fr' } }],
      ['/guarded'],
      ['/articles/404'],
      // Requests that bypass the cache.
      ['/articles/1', { headers: { authorization: 'Bearer x' } }],
    ];
    for (const [path, init] of untagged) {
      for (let round = 0; round < 2; round++) {
        const page = await get(path, init);
        expect(page.headers.get('xkey'), path).toBeNull();
        expect(page.headers.get('cache-control'), path).toBe('private');
      }
    }
    // Still cached in Redis, where the key covers what they vary on.
    expect((await get('/personal', { headers: { cookie: 'session=abc' } })).cache).toBe('HIT');
    expect((await get('/guarded')).cache).toBe('HIT');
  });

  it('purges the tags each kind of invalidation cleared, once Redis is done', async () => {
    const purged = async (invalidate: () => Promise<unknown>) => {
      const before = receiver.received.length;
      await invalidate();
      // Awaited: the edge has its purge by the time the invalidation returns.
      return receiver.tagsSince(before);
    };
    const events = app.app.get(EventEmitter2);

    await get('/articles/1');
    const [key] = await redis.keys(`${prefix}:1:page:*`);
    const storedAtPurge: number[] = [];
    receiver.onPurge = async () => void storedAtPurge.push(await redis.exists(key!));
    expect(await purged(() => events.emitAsync(ENTITY_SAVED, new Article(1, 'x')))).toEqual([
      'Article',
      'Article/1',
    ]);
    // Redis was cleared before the purge went out.
    expect(storedAtPurge).toEqual([0]);
    receiver.onPurge = undefined;

    expect(await purged(() => events.emitAsync(ENTITY_SAVED, { model: 'Article' }))).toEqual([
      'Article',
      'Article/',
    ]);
    expect(await purged(() => cache.invalidate(Article, 2))).toEqual(['Article', 'Article/2']);
    expect(await purged(() => cache.invalidate('Article'))).toEqual(['Article', 'Article/']);
    expect(
      await purged(() => app.get('/articles/2/renamed', { method: 'PUT' }).then(r => r.text())),
    ).toEqual(['Article', 'Article/2']);
    expect(await purged(() => cache.expirePage('/articles/2'))).toEqual([pathTag('/articles/2')]);
    expect(await purged(() => cache.expirePage('/articles', { query: { page: 2 } }))).toEqual([
      urlTag('/articles', JSON.stringify([['page', '2']])),
    ]);
    expect(receiver.received.every(purge => purge.method === 'PURGE')).toBe(true);
    expect(cache.stats().edge).toEqual({ succeeded: 7, failed: 0, retries: 0, pendingTags: 0 });
  });

  it('purges again the URL of a page a save outdated while it rendered, once it has been sent', async () => {
    let release!: () => void;
    afterRead.wait = new Promise(resolve => (release = resolve));
    const rendering = get('/articles/1');
    await vi.waitFor(() => expect(cache.stats().pages.misses).toBe(1));
    // The save, and its purge, happen while the page renders from the title it read before.
    titles.set('1', 'saved');
    const before = receiver.received.length;
    await cache.invalidate(Article, 1);
    expect(receiver.tagsSince(before)).toEqual(['Article', 'Article/1']);
    release();
    const outdated = await rendering;
    // The edge gets this answer after the purge: it would keep it, tagged, until the next save.
    expect(outdated.text).toBe('1:one');
    expect(tagsOf(outdated)).toContain('Article/1');
    await vi.waitFor(
      () => expect(receiver.tagsSince(before + 1)).toEqual([urlTag('/articles/1', '[]')]),
      { timeout: 3_000 },
    );
    // A page stored as current is not purged again.
    expect((await get('/articles/1')).text).toBe('1:saved');
    const after = receiver.received.length;
    await sleep(1_500);
    expect(receiver.received.length).toBe(after);
  });

  it('sends Surrogate-Key by default and Cache-Tag comma-separated; without purge it only tags', async () => {
    for (const [edge, name, separator] of [
      [{}, 'surrogate-key', ' '],
      [{ header: 'Cache-Tag' }, 'cache-tag', ','],
    ] as const) {
      const other = await startApp(
        adapter,
        EdgeModule.with({
          redis: redisUrl(),
          keyPrefix: uniquePrefix('edge_hdr'),
          pages: { edge },
        }),
      );
      const otherCache = other.app.get(CacheService);
      try {
        const expected = ['Article/1', 'Article/', ...pathTags('/articles/1')].join(separator);
        expect((await fetchPage(other, '/articles/1')).headers.get(name)).toBe(expected);
        const hit = await fetchPage(other, '/articles/1');
        expect(hit.cache).toBe('HIT');
        expect(hit.headers.get(name)).toBe(expected);
        expect(hit.headers.get('xkey')).toBeNull();
        await expect(otherCache.invalidate(Article, 1)).resolves.toBe(1);
        expect(otherCache.stats().edge).toBeUndefined();
      } finally {
        await otherCache.clear();
        await other.close();
      }
    }
  });

  it('exposes purges to Prometheus', async () => {
    const registry = new Registry();
    const handle = registerCacheMetrics([cache], { registry });
    try {
      await cache.invalidate(Article, 1);
      receiver.status = 503;
      await cache.invalidate(Article, 2);
      const metrics = await registry.getMetricsAsJSON();
      const values = (name: string) =>
        metrics.find(metric => metric.name === `nestjs_page_cache_${name}`)?.values;
      expect(values('edge_purges_total')).toEqual([
        { labels: { cache: 'default', outcome: 'succeeded' }, value: 1 },
        { labels: { cache: 'default', outcome: 'failed' }, value: 1 },
      ]);
      expect(values('edge_pending_tags')).toEqual([{ labels: { cache: 'default' }, value: 2 }]);
    } finally {
      handle.unregister();
    }
  });

  it('retries a failed purge in the background until it goes through, and says so', async () => {
    const events = app.app.get(EventEmitter2);
    const purges: Record<string, unknown>[] = [];
    events.on(CACHE_EVENTS.purge, (payload: Record<string, unknown>) => purges.push(payload));
    await get('/articles/1');

    receiver.status = 503;
    const before = receiver.received.length;
    // The save still succeeds, and Redis is cleared.
    await expect(cache.invalidate(Article, 1)).resolves.toBe(1);
    expect((await get('/articles/1')).cache).toBe('MISS');
    expect(purges[0]).toEqual({
      cache: 'default',
      outcome: 'failed',
      tags: ['Article', 'Article/1'],
      attempt: 1,
      error: expect.stringMatching(/answered 503/) as unknown,
      retryInMs: 100,
    });
    expect(cache.stats().edge).toMatchObject({ failed: 1, pendingTags: 2 });

    // While the edge fails, another save neither waits for it nor calls it: its tags join the retry.
    const calls = receiver.received.length;
    await cache.invalidate(Article, 2);
    expect(receiver.received.length).toBe(calls);
    expect(cache.stats().edge).toMatchObject({ failed: 1, pendingTags: 3 });

    // Retries back off while the edge keeps failing.
    await vi.waitFor(() => expect(receiver.received.length - before).toBeGreaterThanOrEqual(3), {
      timeout: 5_000,
    });
    receiver.status = 200;
    await vi.waitFor(() => expect(purges.some(p => p.outcome === 'succeeded')).toBe(true), {
      timeout: 10_000,
    });
    expect(purges.filter(p => p.outcome === 'retrying').length).toBeGreaterThanOrEqual(2);
    const all = ['Article', 'Article/1', 'Article/2'];
    expect(purges.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expect((purges.at(-1)!.tags as string[]).toSorted()).toEqual(all);
    expect(receiver.received.at(-1)!.tags.toSorted()).toEqual(all);
    const failures = purges.filter(p => p.outcome === 'failed');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.map(p => p.retryInMs)).toEqual(
      [100, 200, 400, 800, 1600, 3200, 5000].slice(0, failures.length),
    );
    const stats = cache.stats().edge!;
    expect(stats).toMatchObject({ succeeded: 1, pendingTags: 0 });
    expect(stats.failed).toBe(failures.length);
    expect(stats.retries).toBe(failures.length);

    // Nothing is purged again once it went through.
    const after = receiver.received.length;
    await sleep(300);
    expect(receiver.received.length).toBe(after);
  });
});
