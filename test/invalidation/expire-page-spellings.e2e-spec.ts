import { CacheService } from 'nestjs-page-cache';
import { RestartData, restartModule } from '../fixtures/freshness/restart.fixture.js';
import { rawRequest, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl } from '../support/redis.js';

/**
 * Spellings of /notice that reach the same handler; after expirePage('/notice') none of
 * them may still be answered with the old notice.
 */
describe.each([
  ['express', {}],
  ['fastify', {}],
  ['fastify', { ignoreDuplicateSlashes: true, useSemicolonDelimiter: true }],
] as const)('R2 spellings on %s %j', (adapter, adapterOptions) => {
  let app: RunningApp;
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it('every spelling routed to the handler is expired', async () => {
    app = await startApp(adapter, restartModule(redisUrl()), undefined, adapterOptions as never);
    const data = app.app.get(RestartData);
    const cache = app.app.get(CacheService);
    const port = new URL(app.url).port;
    const spellings = [
      '/notice',
      `http://127.0.0.1:${port}/notice`,
      `http://evil.example/notice`,
      '//notice',
      '/notice//',
      '/notice;x=1',
      '/notice;',
      '/notice//x/..',
      '/NOTICE',
      '/notic%65',
      '/notice/',
      '/./notice',
      '/x/../notice',
      '/notice#frag',
      '/notice#',
      '/notice?',
      '/notice?#x',
      '/notice%2F',
      '/notice%23x',
      '/notice\\',
      '/notice%20',
      '/notice.',
      '/notice?a=1#/../other',
    ];
    const routed: string[] = [];
    for (const s of spellings) {
      const a = await rawRequest(app, s);
      if (a.status !== 200) continue;
      const b = await rawRequest(app, s);
      if (b.cache === 'HIT') routed.push(s);
    }
    data.notice = 'second notice';
    await cache.expirePage('/notice');
    const stale: string[] = [];
    for (const s of routed) {
      const a = await rawRequest(app, s);
      if (a.body.includes('first notice')) stale.push(`${s} (${a.cache})`);
    }
    expect(stale).toEqual([]);
  });
});
