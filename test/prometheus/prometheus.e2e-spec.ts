import { readFileSync } from 'node:fs';
import { CacheStatistics } from '../../libs/page-cache/src/cache-statistics.js';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacheModule, CacheService, getCacheToken } from 'nestjs-page-cache';
import { CacheMetricsModule, registerCacheMetrics } from 'nestjs-page-cache/prometheus';
import { Registry } from 'prom-client';
import {
  MetricsController,
  parseSamples,
  valueOf,
  type Sample,
} from '../fixtures/operability/metrics.fixture.js';
import { opsModule } from '../fixtures/operability/ops.fixture.js';
import { fetchPage } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

const P = 'nestjs_page_cache_';

describe.each(ADAPTERS)('Prometheus metrics scraped over HTTP on %s', adapter => {
  let app: RunningApp;
  let registry: Registry;
  let cache: CacheService;

  beforeEach(async () => {
    registry = new Registry();
    app = await startApp(
      adapter,
      opsModule(
        { redis: redisUrl(), keyPrefix: uniquePrefix('ops_metrics') },
        {
          imports: [
            CacheModule.forRoot({ name: 'sessions', store: 'memory' }),
            CacheMetricsModule.forRoot({ registry }),
          ],
          controllers: [MetricsController],
        },
      ),
    );
    cache = app.app.get(getCacheToken());
  });
  afterEach(() => app?.close());

  async function scrape(): Promise<{ samples: Sample[]; text: string }> {
    const response = await fetchPage(app, '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    expect(response.cache).toBeNull();
    return { samples: parseSamples(response.text), text: response.text };
  }

  it('exposes the statistics as counters, a gauge and a hit duration histogram', async () => {
    const page = { cache: 'default', view: 'OpsController.page' };
    const cookie = { cache: 'default', view: 'OpsController.cookie' };
    await fetchPage(app, '/ops/page/a');
    const hit = await fetchPage(app, '/ops/page/a');
    expect(hit.cache).toBe('HIT');
    await fetchPage(app, '/ops/page/a');
    await fetchPage(app, '/ops/page/b');
    await fetchPage(app, '/ops/page/a', { headers: { authorization: 'Bearer x' } });
    await fetchPage(app, '/ops/cookie');
    await fetchPage(app, '/ops/post/1');
    expect(await cache.invalidate('Post', 1)).toBe(1);
    const sessions = app.app.get<string, CacheService>(getCacheToken('sessions'));
    await sessions.set('s', 1);
    await sessions.get('s');
    await sessions.get('nope');

    const { samples, text } = await scrape();
    expect(text).toContain(`# TYPE ${P}hits_total counter`);
    expect(text).toContain(`# TYPE ${P}breaker_open gauge`);
    expect(text).toContain(`# TYPE ${P}hit_duration_seconds histogram`);
    expect(text).toMatch(new RegExp(`# HELP ${P}served_bytes_total \\S`));

    expect(valueOf(samples, `${P}hits_total`, page)).toBe(2);
    expect(valueOf(samples, `${P}misses_total`, page)).toBe(2);
    expect(valueOf(samples, `${P}stale_hits_total`, page)).toBe(0);
    expect(valueOf(samples, `${P}writes_total`, page)).toBe(2);
    expect(valueOf(samples, `${P}lock_waits_total`, page)).toBe(0);
    expect(valueOf(samples, `${P}served_bytes_total`, page)).toBe(2 * hit.body.length);
    expect(valueOf(samples, `${P}bypasses_total`, { ...page, reason: 'authorization' })).toBe(1);
    expect(valueOf(samples, `${P}misses_total`, cookie)).toBe(1);
    expect(valueOf(samples, `${P}bypasses_total`, { ...cookie, reason: 'set-cookie' })).toBe(1);
    expect(valueOf(samples, `${P}writes_total`, cookie)).toBe(0);
    expect(valueOf(samples, `${P}invalidations_total`, { cache: 'default' })).toBe(1);
    expect(valueOf(samples, `${P}invalidated_entries_total`, { cache: 'default' })).toBe(1);
    expect(valueOf(samples, `${P}store_errors_total`, { cache: 'default' })).toBe(0);
    expect(valueOf(samples, `${P}breaker_open`, { cache: 'default' })).toBe(0);

    // The named cache is found and labelled on its own.
    expect(valueOf(samples, `${P}value_hits_total`, { cache: 'sessions' })).toBe(1);
    expect(valueOf(samples, `${P}value_misses_total`, { cache: 'sessions' })).toBe(1);
    expect(valueOf(samples, `${P}value_writes_total`, { cache: 'sessions' })).toBe(1);
    expect(valueOf(samples, `${P}value_hits_total`, { cache: 'default' })).toBe(0);
    expect(valueOf(samples, `${P}breaker_open`, { cache: 'sessions' })).toBe(0);

    // Two hits were timed, each faster than the last finite bucket (1 s).
    expect(valueOf(samples, `${P}hit_duration_seconds_count`, page)).toBe(2);
    expect(valueOf(samples, `${P}hit_duration_seconds_bucket`, { ...page, le: '+Inf' })).toBe(2);
    expect(valueOf(samples, `${P}hit_duration_seconds_bucket`, { ...page, le: '1' })).toBe(2);
    const sum = valueOf(samples, `${P}hit_duration_seconds_sum`, page)!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(2);
  });

  it('reads the counters at each scrape, without double counting', async () => {
    const page = { cache: 'default', view: 'OpsController.page' };
    await fetchPage(app, '/ops/page/c');
    await fetchPage(app, '/ops/page/c');
    expect(valueOf((await scrape()).samples, `${P}hits_total`, page)).toBe(1);
    expect(valueOf((await scrape()).samples, `${P}hits_total`, page)).toBe(1);
    await fetchPage(app, '/ops/page/c');
    const { samples } = await scrape();
    expect(valueOf(samples, `${P}hits_total`, page)).toBe(2);
    expect(valueOf(samples, `${P}misses_total`, page)).toBe(1);
    expect(valueOf(samples, `${P}hit_duration_seconds_count`, page)).toBe(2);
  });

  it('removes its metrics and stops timing hits when the app closes', async () => {
    expect(app.app.get(CacheStatistics).timesHits).toBe(true);
    expect((await registry.getMetricsAsJSON()).map(metric => metric.name)).toContain(
      `${P}hits_total`,
    );
    await app.close();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
    expect(app.app.get(CacheStatistics).timesHits).toBe(false);
  });
});

describe('Prometheus metrics options', () => {
  it('takes a prefix and buckets, and can be registered by hand', async () => {
    const app = await startApp(
      'express',
      opsModule({ redis: redisUrl(), keyPrefix: uniquePrefix('ops_metrics_fn') }),
    );
    try {
      const cache = app.app.get<string, CacheService>(getCacheToken());
      // Without the metrics module, hits are not timed at all.
      expect(app.app.get(CacheStatistics).timesHits).toBe(false);
      const registry = new Registry();
      const handle = registerCacheMetrics([cache], {
        registry,
        prefix: 'shop_cache_',
        hitDurationBuckets: [0.5, 5],
      });
      expect(handle.names).toContain('shop_cache_hits_total');
      expect(() => registerCacheMetrics([cache], { registry, prefix: 'shop_cache_' })).toThrow(
        /already been registered/,
      );
      await fetchPage(app, '/ops/page/x');
      await fetchPage(app, '/ops/page/x');
      const samples = parseSamples(await registry.metrics());
      const page = { cache: 'default', view: 'OpsController.page' };
      expect(valueOf(samples, 'shop_cache_hits_total', page)).toBe(1);
      expect(
        samples
          .filter(sample => sample.name === 'shop_cache_hit_duration_seconds_bucket')
          .map(sample => sample.labels.le),
      ).toEqual(['0.5', '5', '+Inf']);
      handle.unregister();
      expect(await registry.getMetricsAsJSON()).toEqual([]);
      expect(app.app.get(CacheStatistics).timesHits).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('refuses an option name it does not take, with the closest known one', () => {
    expect(() => CacheMetricsModule.forRoot({ prefx: 'shop_' } as never)).toThrow(
      "Unknown CacheMetricsModule option 'prefx' (did you mean 'prefix'?).",
    );
    expect(() => registerCacheMetrics([], { bucket: [1] } as never)).toThrow(
      "Unknown registerCacheMetrics option 'bucket' (registerCacheMetrics takes registry, prefix, hitDurationBuckets).",
    );
  });
});

describe('optional integrations', () => {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../libs/page-cache/src');

  /** Every module the file imports, statically or dynamically, followed through relative imports. */
  function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const source = readFileSync(file, 'utf8');
      const specifiers = source.matchAll(
        /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g,
      );
      for (const [, specifier] of specifiers) {
        if (specifier!.startsWith('.')) {
          visit(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')));
        } else {
          packages.add(specifier!);
        }
      }
    };
    visit(entry);
    return { files, packages };
  }

  it('keeps prom-client and @nestjs/terminus out of the main entry point', () => {
    const main = importGraph(resolve(src, 'index.ts'));
    expect(main.files.size).toBeGreaterThan(10);
    expect([...main.packages]).not.toContain('prom-client');
    expect([...main.packages]).not.toContain('@nestjs/terminus');
    expect([...main.packages]).toContain('ioredis');
    expect(importGraph(resolve(src, 'prometheus/index.ts')).packages).toContain('prom-client');
    expect(importGraph(resolve(src, 'terminus/index.ts')).packages).toContain('@nestjs/terminus');
  });
});
