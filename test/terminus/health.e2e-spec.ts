import { healthModule } from '../fixtures/operability/health.fixture.js';
import { fetchPage } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

interface HealthBody {
  status: 'ok' | 'error';
  info?: Record<string, Record<string, unknown>>;
  error?: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
}

describe.each(ADAPTERS)('cache health indicator through terminus on %s', adapter => {
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

  async function health(path = '/health'): Promise<{ status: number; body: HealthBody }> {
    const page = await fetchPage(app!, path);
    return { status: page.status, body: JSON.parse(page.text) as HealthBody };
  }

  it('is up with the round trip while Redis answers, down once it is killed, up when back', async () => {
    app = await startApp(
      adapter,
      healthModule(
        {
          redis: server.url,
          keyPrefix: uniquePrefix('ops_health'),
          breaker: { failures: 2, cooldown: '300ms' },
        },
        { store: 'memory' },
      ),
    );
    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.info?.cache).toEqual({
      status: 'up',
      cache: 'default',
      responseTime: expect.any(Number),
      breaker: 'closed',
      storeErrors: 0,
    });
    expect(up.body.info!.cache!.responseTime).toBeLessThan(500);

    await server.kill();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error?.cache).toMatchObject({
      status: 'down',
      cache: 'default',
      message: expect.any(String),
      storeErrors: 1,
      breaker: 'closed',
    });
    // The second failure opens the breaker: the check says so.
    const open = await health();
    expect(open.status).toBe(503);
    expect(open.body.error?.cache).toMatchObject({ status: 'down', breaker: 'open' });
    // While it is open, the store is not called.
    const refused = await health();
    expect(refused.body.error?.cache).toMatchObject({
      status: 'down',
      breaker: 'open',
      message: expect.stringMatching(/circuit breaker open/),
      storeErrors: 2,
    });

    await server.restart();
    await vi.waitFor(
      async () => {
        const back = await health();
        expect(back.status).toBe(200);
        expect(back.body.info?.cache).toMatchObject({ status: 'up', breaker: 'closed' });
      },
      { timeout: 5_000, interval: 100 },
    );
  });

  it('checks a named cache', async () => {
    app = await startApp(
      adapter,
      healthModule(
        { redis: server.url, keyPrefix: uniquePrefix('ops_health_main') },
        { redis: server.url, keyPrefix: uniquePrefix('ops_health_ses') },
      ),
    );
    const up = await health('/health/sessions');
    expect(up.status).toBe(200);
    expect(up.body.info?.sessions).toMatchObject({ status: 'up', cache: 'sessions' });
    await server.kill();
    const down = await health('/health/sessions');
    expect(down.status).toBe(503);
    expect(down.body.error?.sessions).toMatchObject({ status: 'down', cache: 'sessions' });
  });
});
