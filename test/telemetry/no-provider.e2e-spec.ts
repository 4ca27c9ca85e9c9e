import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import { CacheService } from 'nestjs-page-cache';
import { CacheTelemetry } from '../../libs/page-cache/src/telemetry/cache-telemetry.js';
import { tracedModule } from '../fixtures/telemetry/telemetry.fixture.js';
import { startChildApp } from '../support/child-app.js';
import { fetchPage, json } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/telemetry/${name}`, import.meta.url));

describe.each(ADAPTERS)('without an OpenTelemetry provider on %s', adapter => {
  let app: RunningApp;
  afterEach(() => app?.close());

  /** A provider registered for the duration of `run`, and the spans it recorded. */
  async function withProvider(run: () => Promise<void>): Promise<string[]> {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    try {
      await run();
    } finally {
      trace.disable();
    }
    return exporter.getFinishedSpans().map(span => span.name);
  }

  it('caches as usual, and traces from the first request after a provider is registered', async () => {
    app = await startApp(
      adapter,
      tracedModule({ redis: redisUrl(), keyPrefix: uniquePrefix('otel_none') }),
    );
    const telemetry = app.app.get(CacheTelemetry);
    const cache = app.app.get(CacheService);
    expect(telemetry.tracer()).toBeUndefined();
    expect((await fetchPage(app, '/traced/page/1')).cache).toBe('MISS');
    expect((await fetchPage(app, '/traced/page/1')).cache).toBe('HIT');
    expect((await fetchPage(app, '/traced/late/1')).cache).toBe('MISS');
    expect((await fetchPage(app, '/traced/late/1')).cache).toBe('HIT');
    const auth = { headers: { authorization: 'Bearer x' } };
    expect((await fetchPage(app, '/traced/page/1', auth)).cache).toBe('BYPASS');
    expect(json(await fetchPage(app, '/traced/value/a'))).toEqual({ name: 'a' });
    expect(json(await fetchPage(app, '/traced/price/a'))).toEqual({ sku: 'a', cents: 100 });
    expect(json(await fetchPage(app, '/traced/price/a'))).toEqual({ sku: 'a', cents: 100 });
    await fetchPage(app, '/traced/post/1');
    expect(await cache.invalidate('Post', 1)).toBe(1);
    expect(cache.stats().pages).toMatchObject({ hits: 2, earlyHits: 1, misses: 3, writes: 3 });
    expect(cache.stats().methods['PriceService.price']).toMatchObject({ hits: 1, misses: 1 });
    expect(telemetry.tracer()).toBeUndefined();

    // A provider registered once the app runs is used from the next request on, and left after.
    const names = await withProvider(async () => {
      expect(telemetry.tracer()).toBeDefined();
      expect((await fetchPage(app, '/traced/page/1')).cache).toBe('HIT');
      await cache.invalidate('Post', 1);
    });
    expect(names).toContain('page_cache.invalidate');
    await vi.waitFor(() => expect(names).toContain('page_cache.page'));
    expect(telemetry.tracer()).toBeUndefined();
  });

  it('records nothing with telemetry: false, even with a provider', async () => {
    app = await startApp(
      adapter,
      tracedModule({ redis: redisUrl(), keyPrefix: uniquePrefix('otel_off'), telemetry: false }),
    );
    const names = await withProvider(async () => {
      expect(app.app.get(CacheTelemetry).tracer()).toBeUndefined();
      expect((await fetchPage(app, '/traced/page/1')).cache).toBe('MISS');
      expect((await fetchPage(app, '/traced/page/1')).cache).toBe('HIT');
      await app.app.get(CacheService).invalidate('Post', 1);
      await fetchPage(app, '/traced/value/a');
    });
    expect(names).toEqual([]);
  });

  it('loads and caches where @opentelemetry/api is not installed', async () => {
    const child = await startChildApp(fixture('without-api.app.ts'), {
      NODE_OPTIONS: `--import ${fixture('hide-opentelemetry.mjs')}`,
      ADAPTER: adapter,
      REDIS_URL: redisUrl(),
      KEY_PREFIX: uniquePrefix('otel_absent'),
    });
    try {
      expect(child.output()).toContain('without @opentelemetry/api');
      expect((await fetchPage(child, '/page/1')).cache).toBe('MISS');
      expect((await fetchPage(child, '/page/1')).cache).toBe('HIT');
      expect(json(await fetchPage(child, '/value'))).toEqual({ computed: true });
      expect(json(await fetchPage(child, '/stats'))).toMatchObject({
        pages: { hits: 1, misses: 1, writes: 1 },
        values: { misses: 1, writes: 1 },
      });
    } finally {
      await child.stop();
    }
  });
});
