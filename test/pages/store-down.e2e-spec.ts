import { fetchPage, json } from '../support/fetch-page.js';
import { storeDownModule, storeDownRuns } from '../fixtures/pages/store-down.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { RedisServer } from '../support/redis-server.js';

describe.each(ADAPTERS)('page cache with its store down on %s', adapter => {
  let server: RedisServer;
  let app: RunningApp | undefined;

  beforeEach(async () => {
    storeDownRuns.reset();
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.kill();
  });

  /** Requests `/down/{id}` a few times: each answers 200 from the handler, never a 5xx. */
  async function expectHandlerAnswers(id: string, times = 3): Promise<void> {
    for (let i = 1; i <= times; i++) {
      const page = await fetchPage(app!, `/down/${id}`);
      expect(page.status).toBe(200);
      expect(page.cache).not.toBe('HIT');
      expect(json(page)).toEqual({ id, run: i });
    }
    expect(storeDownRuns.of(id)).toBe(times);
  }

  it('answers from the handler when Redis dies under a running app, then caches again', async () => {
    const running = await startApp(adapter, storeDownModule(server.url));
    app = running;
    await fetchPage(running, '/down/cached');
    expect((await fetchPage(running, '/down/cached')).cache).toBe('HIT');

    await server.kill();
    const page = await fetchPage(running, '/down/cached');
    expect(page.status).toBe(200);
    expect(json(page)).toEqual({ id: 'cached', run: 2 });
    await expectHandlerAnswers('fresh');

    await server.restart();
    await vi.waitFor(
      async () => {
        await fetchPage(running, '/down/back');
        expect((await fetchPage(running, '/down/back')).cache).toBe('HIT');
      },
      { timeout: 5_000, interval: 50 },
    );
  });

  it('answers from the handler when Redis is paused (commands time out), then caches again', async () => {
    app = await startApp(adapter, storeDownModule(server.url));
    await fetchPage(app, '/down/before');
    server.pause();
    try {
      await expectHandlerAnswers('paused', 2);
    } finally {
      server.resume();
    }
    const running = app!;
    await vi.waitFor(
      async () => {
        await fetchPage(running, '/down/after');
        expect((await fetchPage(running, '/down/after')).cache).toBe('HIT');
      },
      { timeout: 5_000, interval: 50 },
    );
  });

  it('starts and answers from the handler when Redis is down from the start', async () => {
    await server.kill();
    const running = await startApp(adapter, storeDownModule(server.url));
    app = running;
    await expectHandlerAnswers('never-up');

    await server.restart();
    await vi.waitFor(
      async () => {
        await fetchPage(running, '/down/up-at-last');
        expect((await fetchPage(running, '/down/up-at-last')).cache).toBe('HIT');
      },
      { timeout: 5_000, interval: 50 },
    );
  });
});
