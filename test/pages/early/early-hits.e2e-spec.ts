import type { INestApplication } from '@nestjs/common';
import { CacheService } from 'nestjs-page-cache';
import type { PageStats } from '../../../libs/page-cache/src/cache-statistics.js';
import type { ServerResponse } from 'node:http';
import {
  consumerMiddlewareRuns,
  CountingInterceptor,
  earlyModule,
  type EarlyFixture,
} from '../../fixtures/early/early.fixture.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

/** Requests seen by an `app.use` middleware, registered before Nest's own. */
let appMiddlewareRuns = 0;
function appMiddleware(_request: unknown, _response: ServerResponse, next: () => void): void {
  appMiddlewareRuns++;
  next();
}

describe.each(ADAPTERS)('the early hit path on %s', adapter => {
  const apps: RunningApp[] = [];
  const start = async (fixture: EarlyFixture = {}) => {
    const app = await startApp(adapter, earlyModule(fixture), (nest: INestApplication) => {
      nest.enableCors();
      nest.use(appMiddleware);
    });
    apps.push(app);
    return app;
  };
  const viewStats = (app: RunningApp, view: string): PageStats | undefined =>
    app.app.get(CacheService).stats().views[view];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.close()));
    CountingInterceptor.seen = 0;
    appMiddlewareRuns = 0;
    consumerMiddlewareRuns.count = 0;
  });

  it('serves hits of a route without guards before the pipeline, after every middleware', async () => {
    const app = await start();
    const headers = { origin: 'https://site.example' };
    const miss = await rawRequest(app, '/early/open', headers);
    const hit = await rawRequest(app, '/early/open', headers);
    expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
    expect(hit.body).toBe(miss.body);
    expect(viewStats(app, 'EarlyController.open')).toMatchObject({ hits: 1, earlyHits: 1 });
    // CORS (enableCors), an app.use middleware and a MiddlewareConsumer one ran for the hit too.
    expect(hit.headers['access-control-allow-origin']).toBe('*');
    expect([appMiddlewareRuns, consumerMiddlewareRuns.count]).toEqual([2, 2]);
  });

  it('answers HEAD and If-None-Match early', async () => {
    const app = await start();
    const miss = await rawRequest(app, '/early/open');
    // Fastify routes HEAD to a route of its own: its first HEAD teaches the early path that route.
    await rawRequest(app, '/early/open', {}, 'HEAD');
    const head = await rawRequest(app, '/early/open', {}, 'HEAD');
    expect([head.status, head.cache, head.body]).toEqual([200, 'HIT', '']);
    const conditional = await rawRequest(app, '/early/open', {
      'if-none-match': String(miss.headers.etag),
    });
    expect([conditional.status, conditional.cache, conditional.body]).toEqual([304, 'HIT', '']);
    expect(viewStats(app, 'EarlyController.open')).toMatchObject({
      hits: 3,
      earlyHits: adapter === 'express' ? 3 : 2,
    });
  });

  it('keeps routes with handler or controller guards on the pipeline: a refusing guard refuses a hit', async () => {
    const app = await start();
    for (const [path, view] of [
      ['/early/handler-guard', 'EarlyController.handlerGuard'],
      ['/guarded', 'GuardedController.page'],
    ] as const) {
      const allowed = { 'x-allow': 'yes' };
      expect((await rawRequest(app, path, allowed)).cache, path).toBe('MISS');
      expect((await rawRequest(app, path, allowed)).cache, path).toBe('HIT');
      const refused = await rawRequest(app, path);
      expect(refused.status, path).toBe(403);
      expect(viewStats(app, view)).toMatchObject({ hits: 1, earlyHits: 0 });
    }
  });

  it('keeps every route on the pipeline under a global guard', async () => {
    const app = await start({ globalGuard: true });
    const allowed = { 'x-allow': 'yes' };
    await rawRequest(app, '/early/open', allowed);
    expect((await rawRequest(app, '/early/open', allowed)).cache).toBe('HIT');
    expect((await rawRequest(app, '/early/open')).status).toBe(403);
    expect(viewStats(app, 'EarlyController.open')).toMatchObject({ hits: 1, earlyHits: 0 });
  });

  it('lets a global interceptor that runs before the page cache see every hit, unless the page opts in', async () => {
    const app = await start({ interceptorBefore: true });
    for (let i = 0; i < 3; i++) await rawRequest(app, '/early/open');
    expect(CountingInterceptor.seen).toBe(3);
    expect(viewStats(app, 'EarlyController.open')).toMatchObject({ hits: 2, earlyHits: 0 });
    for (let i = 0; i < 3; i++) await rawRequest(app, '/early/opted-in');
    // @CachePage({ early: true }): the interceptor saw the miss only.
    expect(CountingInterceptor.seen).toBe(4);
    expect(viewStats(app, 'EarlyController.optedIn')).toMatchObject({ hits: 2, earlyHits: 2 });
  });
});
