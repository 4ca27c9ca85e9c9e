import { CacheService } from 'nestjs-page-cache';
import { fetchPage, json } from '../support/fetch-page.js';
import { storeDownModule, storeDownRuns } from '../fixtures/pages/store-down.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { RedisServer } from '../support/redis-server.js';
import { collectWarnings } from '../support/warnings.js';

/** The one warning a route gives while the store is down. */
const STORE_DOWN_WARNING =
  'StoreDownController.show: the store is unreachable, so its pages are served uncached until it answers (store). The CacheStore warning names the store and the cause.';

describe.each(ADAPTERS)('page cache with its store down on %s', adapter => {
  let server: RedisServer;
  let app: RunningApp | undefined;
  let warnings: string[] = [];

  beforeEach(async () => {
    storeDownRuns.reset();
    warnings = [];
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.kill();
  });

  function start(redis: string): Promise<RunningApp> {
    return startApp(adapter, storeDownModule(redis), nest => {
      warnings = collectWarnings(nest);
    });
  }

  /**
   * Requests `/down/{id}` a few times: each answers 200 from the handler (never a 5xx) with
   * `X-Cache: BYPASS`, counted as `store`, and the route says so once.
   */
  async function expectHandlerAnswers(id: string, times = 3): Promise<void> {
    const before = app!.app.get(CacheService).stats().pages.bypasses.store ?? 0;
    for (let i = 1; i <= times; i++) {
      const page = await fetchPage(app!, `/down/${id}`);
      expect(page.status).toBe(200);
      expect(page.cache).toBe('BYPASS');
      expect(json(page)).toEqual({ id, run: i });
    }
    expect(storeDownRuns.of(id)).toBe(times);
    expect(app!.app.get(CacheService).stats().pages.bypasses.store).toBe(before + times);
    expect(warnings.filter(warning => warning.startsWith('StoreDownController.'))).toEqual([
      STORE_DOWN_WARNING,
    ]);
  }

  /** Once the store answers again, a new page is a MISS, then a HIT. */
  async function expectCachingAgain(running: RunningApp, id: string): Promise<void> {
    await vi.waitFor(
      async () => {
        await fetchPage(running, `/down/probe-${id}`);
        expect((await fetchPage(running, `/down/probe-${id}`)).cache).toBe('HIT');
      },
      { timeout: 5_000, interval: 50 },
    );
    expect((await fetchPage(running, `/down/${id}`)).cache).toBe('MISS');
    expect((await fetchPage(running, `/down/${id}`)).cache).toBe('HIT');
  }

  it('answers from the handler when Redis dies under a running app, then caches again', async () => {
    const running = await start(server.url);
    app = running;
    await fetchPage(running, '/down/cached');
    expect((await fetchPage(running, '/down/cached')).cache).toBe('HIT');

    await server.kill();
    const page = await fetchPage(running, '/down/cached');
    expect(page.status).toBe(200);
    expect(page.cache).toBe('BYPASS');
    expect(json(page)).toEqual({ id: 'cached', run: 2 });
    await expectHandlerAnswers('fresh');

    await server.restart();
    await expectCachingAgain(running, 'back');
  });

  it('answers from the handler when Redis is paused (commands time out), then caches again', async () => {
    const running = await start(server.url);
    app = running;
    await fetchPage(running, '/down/before');
    server.pause();
    try {
      await expectHandlerAnswers('paused', 2);
    } finally {
      server.resume();
    }
    await expectCachingAgain(running, 'after');
  });

  it('starts and answers from the handler when Redis is down from the start', async () => {
    await server.kill();
    const running = await start(server.url);
    app = running;
    await expectHandlerAnswers('never-up');

    await server.restart();
    await expectCachingAgain(running, 'up-at-last');
  });
});
