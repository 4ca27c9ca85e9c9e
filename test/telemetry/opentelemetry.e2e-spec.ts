// First: the HTTP instrumentation must be enabled before the adapters load `http`.
import {
  childrenOf,
  collectMetrics,
  parentOf,
  pointValue,
  spans,
  spansNamed,
  startMetrics,
  startTracing,
  stopOpenTelemetry,
} from '../support/otel-sdk.js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CacheService, type CacheModuleOptions } from 'nestjs-page-cache';
import {
  Gate,
  edgePurges,
  slowGate,
  tracedModule,
} from '../fixtures/telemetry/telemetry.fixture.js';
import { fetchPage, type Page } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

const SCOPE = 'nestjs-page-cache';

/** A request, the page span it produced, that span's children and parent (the server span). */
interface Traced {
  page: Page;
  span: ReadableSpan;
  children: ReadableSpan[];
  parent: ReadableSpan | undefined;
}

beforeAll(() => startTracing());
afterAll(() => stopOpenTelemetry());

describe.each(ADAPTERS)('OpenTelemetry on %s', adapter => {
  let app: RunningApp;
  let cache: CacheService;

  async function start(options: CacheModuleOptions = {}): Promise<void> {
    await app?.close();
    await startMetrics();
    app = await startApp(
      adapter,
      tracedModule({ redis: redisUrl(), keyPrefix: uniquePrefix('otel'), ...options }),
    );
    cache = app.app.get(CacheService);
    spans.reset();
  }

  beforeEach(() => start());
  afterEach(() => app?.close());

  /** Requests `path` alone and waits for its page span to end. */
  async function traced(path: string, init?: RequestInit): Promise<Traced> {
    spans.reset();
    const page = await fetchPage(app, path, init);
    let span!: ReadableSpan;
    await vi.waitFor(() => {
      const found = spansNamed('page_cache.page');
      expect(found).toHaveLength(1);
      span = found[0]!;
      // The server span ends after the response, as ours does.
      expect(parentOf(span)).toBeDefined();
    });
    const children = childrenOf(span).sort((a, b) => compareTime(a.startTime, b.startTime));
    return { page, span, children, parent: parentOf(span) };
  }

  it('a miss, then a hit, early or through the interceptor: page spans with their outcome', async () => {
    const miss = await traced('/traced/page/1');
    expect(miss.page.cache).toBe('MISS');
    expect(miss.span.instrumentationScope.name).toBe(SCOPE);
    expect(miss.span.attributes).toEqual({
      'page_cache.cache.name': 'default',
      'page_cache.view': 'TracedController.page',
      'http.route': '/traced/page/:id',
      'page_cache.outcome': 'miss',
    });
    // A child of the HTTP instrumentation's server span.
    expect(miss.parent?.kind).toBe(SpanKind.SERVER);
    expect(miss.children.map(child => child.name)).toEqual([
      'page_cache.lookup',
      'page_cache.lock_wait',
      'page_cache.store_write',
    ]);
    const [lookup, lock, write] = miss.children;
    expect(lookup!.attributes).toEqual({ 'page_cache.lookup.result': 'missing' });
    expect(lock!.attributes).toEqual({
      'page_cache.lock.scope': 'store',
      'page_cache.lock.outcome': 'acquired',
      'page_cache.lock.waited': false,
    });
    expect(write!.attributes['page_cache.stored']).toBe(true);
    expect(write!.attributes['page_cache.entry.bytes']).toBeGreaterThan(miss.page.body.length);

    const early = await traced('/traced/page/1');
    expect(early.page.cache).toBe('HIT');
    expect(early.span.attributes).toMatchObject({
      'page_cache.outcome': 'hit',
      'page_cache.early': true,
      'http.route': '/traced/page/:id',
    });
    expect(early.parent?.kind).toBe(SpanKind.SERVER);
    expect(early.children.map(child => child.attributes)).toEqual([
      { 'page_cache.lookup.result': 'found' },
    ]);

    // The early path looks up, declines, and Nest's path goes on in the same page span.
    const declined = await traced('/traced/page/2');
    expect(declined.page.cache).toBe('MISS');
    expect(declined.span.attributes['page_cache.outcome']).toBe('miss');
    expect(declined.children.map(child => child.name)).toEqual([
      'page_cache.lookup',
      'page_cache.lookup',
      'page_cache.lock_wait',
      'page_cache.store_write',
    ]);

    expect((await traced('/traced/late/1')).span.attributes['page_cache.outcome']).toBe('miss');
    const late = await traced('/traced/late/1');
    expect(late.page.cache).toBe('HIT');
    expect(late.span.attributes).toMatchObject({
      'page_cache.outcome': 'hit',
      'page_cache.view': 'TracedController.late',
    });
    expect(late.span.attributes['page_cache.early']).toBeUndefined();
    expect(late.parent?.kind).toBe(SpanKind.SERVER);
  });

  it('a bypass says why; a request that waits for another render says so', async () => {
    const auth = await traced('/traced/page/3', { headers: { authorization: 'Bearer x' } });
    expect(auth.page.cache).toBe('BYPASS');
    expect(auth.span.attributes).toMatchObject({
      'page_cache.outcome': 'bypass',
      'page_cache.bypass.reason': 'authorization',
    });
    expect(auth.children).toEqual([]);

    // A miss whose response may not be stored stays a miss, with the reason it was not stored.
    const cookie = await traced('/traced/cookie');
    expect(cookie.span.attributes).toMatchObject({
      'page_cache.outcome': 'miss',
      'page_cache.bypass.reason': 'set-cookie',
    });
    expect(cookie.children.map(child => child.name)).not.toContain('page_cache.store_write');

    const gate = (slowGate.current = new Gate());
    spans.reset();
    const first = fetchPage(app, '/traced/slow/1');
    await vi.waitFor(() => expect(gate.reached).toBe(1));
    const second = fetchPage(app, '/traced/slow/1');
    await vi.waitFor(() => expect(cache.stats().pages.lockWaits).toBe(1));
    gate.release();
    expect([(await first).cache, (await second).cache]).toEqual(['MISS', 'HIT']);
    await vi.waitFor(() => expect(spansNamed('page_cache.page')).toHaveLength(2));
    const waited = spansNamed('page_cache.page').find(
      span => span.attributes['page_cache.outcome'] === 'hit',
    )!;
    const wait = childrenOf(waited).find(child => child.name === 'page_cache.lock_wait');
    expect(wait?.attributes).toEqual({
      'page_cache.lock.scope': 'process',
      'page_cache.lock.outcome': 'filled',
      'page_cache.lock.waited': true,
    });
  });

  it('an invalidation produces its span: the model, the entries removed, the edge purge', async () => {
    expect((await fetchPage(app, '/traced/post/7')).cache).toBe('MISS');
    edgePurges.length = 0;
    spans.reset();
    expect(await cache.invalidate('Post', 7)).toBe(1);
    const [invalidation] = spansNamed('page_cache.invalidate');
    expect(invalidation?.attributes).toEqual({
      'page_cache.cache.name': 'default',
      'page_cache.invalidation.kind': 'model',
      'page_cache.model': 'Post',
      'page_cache.invalidation.retry': false,
      'page_cache.invalidation.entries_removed': 1,
    });
    expect(edgePurges).toHaveLength(1);
    expect(childrenOf(invalidation!).map(child => [child.name, child.attributes])).toEqual([
      ['page_cache.edge_purge', { 'page_cache.edge.outcome': 'succeeded' }],
    ]);

    spans.reset();
    expect(await cache.expirePage('/traced/page/1')).toBe(0);
    expect(spansNamed('page_cache.invalidate')[0]?.attributes).toEqual({
      'page_cache.cache.name': 'default',
      'page_cache.invalidation.kind': 'page',
      'page_cache.invalidation.entries_removed': 0,
    });

    // A name the cache cannot store is refused before anything happens: no span.
    spans.reset();
    await expect(cache.invalidate('not a model name')).rejects.toThrow(TypeError);
    expect(spansNamed('page_cache.invalidate')).toEqual([]);
  });

  it('getOrSet and @Cached calls produce spans, children of the request that made them', async () => {
    spans.reset();
    await fetchPage(app, '/traced/value/a');
    await fetchPage(app, '/traced/value/a');
    const values = spansNamed('page_cache.get_or_set');
    expect(values.map(span => span.attributes['page_cache.outcome'])).toEqual(['miss', 'hit']);
    expect(values.map(span => parentOf(span)?.kind)).toEqual([SpanKind.SERVER, SpanKind.SERVER]);
    expect(childrenOf(values[0]!).map(child => child.name)).toEqual(['page_cache.store_write']);
    expect(Object.keys(values[0]!.attributes).sort()).toEqual([
      'page_cache.cache.name',
      'page_cache.outcome',
    ]);

    spans.reset();
    await fetchPage(app, '/traced/price/x');
    await fetchPage(app, '/traced/price/x');
    const calls = spansNamed('page_cache.cached_method');
    expect(calls.map(span => span.attributes)).toEqual([
      {
        'page_cache.cache.name': 'default',
        'page_cache.method': 'PriceService.price',
        'page_cache.outcome': 'miss',
      },
      {
        'page_cache.cache.name': 'default',
        'page_cache.method': 'PriceService.price',
        'page_cache.outcome': 'hit',
      },
    ]);
    expect(childrenOf(calls[0]!).map(child => child.name)).toEqual([
      'page_cache.lock_wait',
      'page_cache.store_write',
    ]);

    // A factory that throws fails its span.
    spans.reset();
    await expect(
      cache.getOrSet('boom', () => Promise.reject(new Error('factory failed'))),
    ).rejects.toThrow('factory failed');
    const [failed] = spansNamed('page_cache.get_or_set');
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'factory failed' });
  });

  it('the metrics match stats() after a known sequence', async () => {
    await fetchPage(app, '/traced/page/1');
    await fetchPage(app, '/traced/page/1');
    await fetchPage(app, '/traced/page/1');
    await fetchPage(app, '/traced/late/1');
    await fetchPage(app, '/traced/late/1');
    await fetchPage(app, '/traced/page/2', { headers: { authorization: 'Bearer x' } });
    await fetchPage(app, '/traced/cookie');
    await fetchPage(app, '/traced/post/1');
    const gate = (slowGate.current = new Gate());
    const first = fetchPage(app, '/traced/slow/1');
    await vi.waitFor(() => expect(gate.reached).toBe(1));
    const second = fetchPage(app, '/traced/slow/1');
    await vi.waitFor(() => expect(cache.stats().pages.lockWaits).toBe(1));
    gate.release();
    await Promise.all([first, second]);
    await cache.invalidate('Post', 1);
    await fetchPage(app, '/traced/value/a');
    await fetchPage(app, '/traced/value/a');
    await cache.get('nothing');
    await fetchPage(app, '/traced/price/p');
    await fetchPage(app, '/traced/price/p');

    const stats = cache.stats();
    const metrics = await collectMetrics();
    const cacheName = { 'page_cache.cache.name': 'default' };
    const value = (name: string, attributes: Record<string, string> = {}) =>
      pointValue(metrics, name, { ...cacheName, ...attributes });

    // Figures this sequence makes, so that the comparison below is not of zeros alone.
    expect(stats.pages).toMatchObject({ hits: 4, earlyHits: 2, lockWaits: 1 });
    expect(stats.pages.bypasses).toEqual({ authorization: 1, 'set-cookie': 1 });
    for (const [view, figures] of Object.entries(stats.views)) {
      const of = (name: string) => value(name, { 'page_cache.view': view });
      expect(of('page_cache.page.hits'), view).toBe(figures.hits);
      expect(of('page_cache.page.misses'), view).toBe(figures.misses);
      expect(of('page_cache.page.stale_hits'), view).toBe(figures.stale);
      expect(of('page_cache.page.early_hits'), view).toBe(figures.earlyHits);
      expect(of('page_cache.page.writes'), view).toBe(figures.writes);
      expect(of('page_cache.page.lock_waits'), view).toBe(figures.lockWaits);
      expect(of('page_cache.page.served_bytes'), view).toBe(figures.bytesServed);
      // Every hit was timed.
      expect(of('page_cache.page.hit.duration') ?? 0, view).toBe(figures.hits);
      for (const [reason, count] of Object.entries(figures.bypasses)) {
        const bypasses = value('page_cache.page.bypasses', {
          'page_cache.view': view,
          'page_cache.bypass.reason': reason,
        });
        expect(bypasses, `${view} ${reason}`).toBe(count);
      }
    }
    const method = { 'page_cache.method': 'PriceService.price' };
    expect(stats.methods['PriceService.price']).toMatchObject({ hits: 1, misses: 1, writes: 1 });
    expect(value('page_cache.method.hits', method)).toBe(1);
    expect(value('page_cache.method.misses', method)).toBe(1);
    expect(value('page_cache.method.writes', method)).toBe(1);
    expect(stats.values).toMatchObject({ hits: 1, misses: 2, writes: 1 });
    expect(value('page_cache.value.hits')).toBe(stats.values.hits);
    expect(value('page_cache.value.misses')).toBe(stats.values.misses);
    expect(value('page_cache.value.writes')).toBe(stats.values.writes);
    expect(stats.invalidations).toEqual({ count: 1, entriesRemoved: 1 });
    expect(value('page_cache.invalidations')).toBe(1);
    expect(value('page_cache.invalidated_entries')).toBe(1);
    expect(value('page_cache.store.errors')).toBe(stats.storeErrors);
    expect(value('page_cache.breaker.open')).toBe(0);
    expect(stats.edge).toMatchObject({ succeeded: 1, failed: 0, retries: 0, pendingTags: 0 });
    expect(value('page_cache.edge.purges', { 'page_cache.edge.outcome': 'succeeded' })).toBe(1);
    expect(value('page_cache.edge.purges', { 'page_cache.edge.outcome': 'failed' })).toBe(0);
    expect(value('page_cache.edge.retries')).toBe(0);
    expect(value('page_cache.edge.pending_tag.count')).toBe(0);
    // No near copies in this cache: no such metric points.
    expect(value('page_cache.near.hits')).toBeUndefined();

    // Read again, the counters are what stats() says then (read, not added up).
    await fetchPage(app, '/traced/page/1');
    const again = await collectMetrics();
    expect(
      pointValue(again, 'page_cache.page.hits', {
        ...cacheName,
        'page_cache.view': 'TracedController.page',
      }),
    ).toBe(cache.stats().views['TracedController.page']!.hits);
  });

  it('reports near copies, where the cache keeps them, as stats().near does', async () => {
    await start({ near: true });
    for (let i = 0; i < 4; i++) await fetchPage(app, '/traced/page/1');
    await fetchPage(app, '/traced/post/1');
    await cache.invalidate('Post', 1);
    const near = cache.stats().near!;
    expect(near.hits).toBeGreaterThan(0);
    expect(near.copies).toBeGreaterThan(0);
    const metrics = await collectMetrics();
    const value = (name: string) =>
      pointValue(metrics, name, { 'page_cache.cache.name': 'default' });
    expect(value('page_cache.near.hits')).toBe(near.hits);
    expect(value('page_cache.near.copy.count')).toBe(near.copies);
    expect(value('page_cache.near.memory.usage')).toBe(near.bytes);
    expect(value('page_cache.near.lease.held')).toBe(near.lease === 'held' ? 1 : 0);
    expect(value('page_cache.near.invalidation_waits')).toBe(near.invalidationWaits.count);
  });

  it('records no key, URL or entity id unless keys are opted in', async () => {
    const secrets = async () => {
      spans.reset();
      await fetchPage(app, '/traced/page/secret-1?q=secret-2');
      await fetchPage(app, '/traced/page/secret-1?q=secret-2');
      await fetchPage(app, '/traced/post/secret-3');
      await cache.invalidate('Post', 'secret-3');
      await cache.expirePage('/traced/page/secret-1');
      await fetchPage(app, '/traced/value/secret-4');
      await fetchPage(app, '/traced/price/secret-5');
      const ours = spans
        .getFinishedSpans()
        .filter(span => span.instrumentationScope.name === SCOPE);
      expect(ours.length).toBeGreaterThan(10);
      return ours.flatMap(span => Object.values(span.attributes).map(String));
    };
    expect((await secrets()).filter(value => value.includes('secret'))).toEqual([]);

    await start({ telemetry: { keys: true } });
    const values = await secrets();
    expect(values).toContain('secret-3'); // the invalidated entity's id
    expect(values).toContain('/traced/page/secret-1'); // the path expirePage expired
    expect(values).toContain('value:secret-4'); // getOrSet's key
    expect(values.some(value => value.includes('TracedController.price:'))).toBe(false);
    expect(values.some(value => /:page:TracedController\.post:.*secret-3/.test(value))).toBe(true);
    expect(values.some(value => value.startsWith('PriceService.price:'))).toBe(true);
  });
});

function compareTime(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
