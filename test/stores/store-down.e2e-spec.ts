import { CACHE_EVENTS, CacheService } from 'nestjs-page-cache';
import { payloadsOf, recordCacheEvents } from '../fixtures/operability/events.js';
import { opsModule } from '../fixtures/operability/ops.fixture.js';
import { fetchPage } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

describe.each(ADAPTERS)('store errors and breaker state in the statistics on %s', adapter => {
  let server: RedisServer;
  let app: RunningApp | undefined;

  beforeEach(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.kill();
  });

  it('counts store errors, reports the breaker, and emits cache.store.state', async () => {
    const running = await startApp(
      adapter,
      opsModule({
        redis: server.url,
        keyPrefix: uniquePrefix('ops_down'),
        breaker: { failures: 3, cooldown: '300ms' },
      }),
    );
    app = running;
    const cache = running.app.get(CacheService);
    const received = recordCacheEvents(running.app);
    await fetchPage(running, '/ops/page/a');
    expect((await fetchPage(running, '/ops/page/a')).cache).toBe('HIT');

    await server.kill();
    // Each request's lookup fails (one store call); the third failure opens the breaker.
    for (let i = 0; i < 3; i++) {
      const page = await fetchPage(running, '/ops/page/a');
      expect(page.status).toBe(200);
      expect(page.cache).toBe('BYPASS');
    }
    expect(cache.stats()).toMatchObject({ storeErrors: 3, breaker: 'open' });
    expect(payloadsOf(received, CACHE_EVENTS.storeState)).toEqual([
      { cache: 'default', state: 'open' },
    ]);
    // While open, the store is not called: requests still answer, and count no new store error.
    expect((await fetchPage(running, '/ops/page/a')).status).toBe(200);
    const stats = cache.stats();
    expect(stats.storeErrors).toBe(3);
    expect(stats.views['OpsController.page']).toMatchObject({
      hits: 1,
      misses: 1,
      bypasses: { store: 4 },
    });

    await server.restart();
    await vi.waitFor(
      async () => {
        await fetchPage(running, '/ops/page/back');
        expect(cache.stats().breaker).toBe('closed');
      },
      { timeout: 5_000, interval: 100 },
    );
    const states = payloadsOf(received, CACHE_EVENTS.storeState) as { state: string }[];
    expect(states[0]).toEqual({ cache: 'default', state: 'open' });
    expect(states).toContainEqual({ cache: 'default', state: 'half-open' });
    expect(states.at(-1)).toEqual({ cache: 'default', state: 'closed' });
  });

  it('emits no store state events with statistics: false', async () => {
    const running = await startApp(
      adapter,
      opsModule({
        redis: server.url,
        keyPrefix: uniquePrefix('ops_down_off'),
        statistics: false,
        breaker: { failures: 1, cooldown: '10s' },
      }),
    );
    app = running;
    const received = recordCacheEvents(running.app);
    await server.kill();
    expect((await fetchPage(running, '/ops/page/a')).status).toBe(200);
    // The breaker still works; the statistics stay silent.
    expect(running.app.get(CacheService).stats().breaker).toBe('open');
    expect(received).toEqual([]);
  });
});
