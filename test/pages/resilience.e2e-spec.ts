import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CacheService, CacheStore } from 'nestjs-page-cache';
import type { NearStore } from '../../libs/page-cache/src/near/near.store.js';
import { ResilientStore } from '../../libs/page-cache/src/stores/resilient.store.js';
import { Backend, ResilienceModule } from '../fixtures/resilience/resilience.fixture.js';
import { startChildApp, type ChildApp } from '../support/child-app.js';
import { freePort } from '../support/free-port.js';
import { ADAPTERS, rawGet, startApp, type RunningApp } from '../support/http-app.js';
import { fetchPage, json, type Page } from '../support/fetch-page.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

/** How long background effects (a recovery, hits resuming) may take to show. */
const WAIT = { timeout: 10_000, interval: 50 };

describe.each(ADAPTERS)('stampede protection on %s', adapter => {
  it('200 concurrent requests for a cold page share one handler run and its response', async () => {
    const backend = new Backend();
    backend.renderMs = 50;
    const app = await startApp(
      adapter,
      ResilienceModule.with(backend, {
        redis: redisUrl(),
        keyPrefix: uniquePrefix('herd'),
        commandTimeout: 1000,
      }),
    );
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, () => fetchPage(app, '/page')));
      expect(backend.runs).toBe(1);
      expect(new Set(answers.map(a => a.text)).size).toBe(1);
      expect(answers.every(a => a.status === 200)).toBe(true);
      expect(answers.filter(a => a.cache === 'MISS')).toHaveLength(1);
    } finally {
      await app.app.get(CacheService).clear();
      await app.close();
    }
  });

  it('200 requests across two processes sharing Redis render the page once', async () => {
    const entry = fileURLToPath(new URL('../fixtures/resilience/stampede.app.ts', import.meta.url));
    const env = { REDIS_URL: redisUrl(), KEY_PREFIX: uniquePrefix('herd2'), ADAPTER: adapter };
    const apps: ChildApp[] = await Promise.all([
      startChildApp(entry, env),
      startChildApp(entry, env),
    ]);
    try {
      // Behind a load balancer both processes see one Host (which is part of the key).
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          rawGet(`${apps[i % 2].url}/cold`, { host: 'shop.example' }),
        ),
      );
      expect(answers.every(a => a.status === 200)).toBe(true);
      expect(new Set(answers.map(a => a.body)).size).toBe(1);
      const runs = await Promise.all(
        apps.map(async app => json<{ runs: number }>(await fetchPage(app, '/runs')).runs),
      );
      expect(runs[0] + runs[1]).toBe(1);
    } finally {
      await Promise.all(apps.map(app => app.stop()));
    }
  });
});

describe('serving stale while refreshing', () => {
  let backend: Backend;
  let app: RunningApp;
  beforeEach(async () => {
    backend = new Backend();
    app = await startApp(
      'express',
      ResilienceModule.with(backend, {
        redis: redisUrl(),
        keyPrefix: uniquePrefix('grace'),
        pages: { grace: '1m' },
      }),
    );
  });
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it('serves an expired page at once within grace while one request refreshes it', async () => {
    await fetchPage(app, '/short');
    backend.version = 2;
    // The refresh takes long enough for all 20 requests to arrive while it runs.
    backend.renderMs = 1500;
    await sleep(350);
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetchPage(app, '/short')));
    // One request renders the page through the whole pipeline; the others get the stale copy.
    const refreshed = answers.filter(a => a.cache === 'MISS');
    expect(refreshed).toMatchObject([{ status: 200, cache: 'MISS', text: '{"version":2}' }]);
    const stale = answers.filter(a => a.cache !== 'MISS');
    expect(stale.every(a => a.cache === 'STALE' && a.text === '{"version":1}')).toBe(true);
    expect(backend.runs).toBe(2);
    expect(await fetchPage(app, '/short')).toMatchObject({
      status: 200,
      cache: 'HIT',
      text: '{"version":2}',
    });
  });

  it('keeps serving the stale page while the handler fails (stale-if-error)', async () => {
    await fetchPage(app, '/short');
    backend.fail = true;
    await sleep(350);
    for (let i = 0; i < 5; i++) {
      const answer = await fetchPage(app, '/short');
      expect(answer).toMatchObject({ status: 200, cache: 'STALE', text: '{"version":1}' });
      await sleep(20);
    }
    expect(backend.runs).toBeGreaterThan(1);
    backend.fail = false;
    backend.version = 3;
    await vi.waitFor(
      async () => expect((await fetchPage(app, '/short')).text).toBe('{"version":3}'),
      WAIT,
    );
  });

  it('never serves an invalidated page stale', async () => {
    const cache = app.app.get(CacheService);
    await fetchPage(app, '/short');
    await sleep(350);
    await cache.expirePage('/short');
    backend.version = 4;
    expect(await fetchPage(app, '/short')).toMatchObject({ cache: 'MISS', text: '{"version":4}' });
  });
});

describe('early refresh (XFetch)', () => {
  it('refreshes a page before it expires when its render time makes expiry look near', async () => {
    const backend = new Backend();
    backend.renderMs = 20;
    const app = await startApp(
      'express',
      ResilienceModule.with(backend, {
        redis: redisUrl(),
        keyPrefix: uniquePrefix('xfetch'),
        // A huge beta makes every hit an early refresh: the effect is certain, not probabilistic.
        pages: { earlyRefresh: { beta: 1e9 } },
      }),
    );
    try {
      await fetchPage(app, '/page');
      backend.version = 2;
      // Long before its TTL (5 minutes), the request that draws an early refresh renders it.
      const early = await fetchPage(app, '/page');
      expect(early.cache).toBe('MISS');
      expect(JSON.parse(early.text).version).toBe(2);
      expect(backend.runs).toBe(2);
    } finally {
      await app.app.get(CacheService).clear();
      await app.close();
    }
  });
});

describe('Redis failures', () => {
  let server: RedisServer;
  let backend: Backend;
  let app: RunningApp;

  beforeEach(async () => {
    server = await RedisServer.start();
    backend = new Backend();
    app = await startApp(
      'express',
      ResilienceModule.with(backend, {
        redis: server.url,
        keyPrefix: 'faults',
        breaker: { failures: 3, cooldown: 300 },
      }),
    );
  });
  afterEach(async () => {
    await app.close();
    await server.stop();
  });

  const expected = () =>
    JSON.stringify({
      version: backend.version,
      rows: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `row ${i}` })),
    });

  it('SIGKILL during a burst: every request answers 2xx with the right body; hits resume after restart', async () => {
    await fetchPage(app, '/page');
    const burst = Promise.all(
      Array.from({ length: 10 }, async () => {
        const answers: Page[] = [];
        for (let i = 0; i < 30; i++) answers.push(await fetchPage(app, '/page'));
        return answers;
      }),
    );
    await sleep(20);
    await server.kill();
    const answers = (await burst).flat();
    expect(answers.every(a => a.status === 200 && a.text === expected())).toBe(true);
    expect((await fetchPage(app, '/page')).status).toBe(200);
    await server.restart();
    await vi.waitFor(async () => expect((await fetchPage(app, '/page')).cache).toBe('HIT'), WAIT);
  });

  it('SIGSTOP: requests still answer; the breaker then stops calling Redis; SIGCONT restores caching', async () => {
    await fetchPage(app, '/page');
    const store = (app.app.get(CacheStore) as NearStore).inner as ResilientStore;
    const calls = vi.spyOn(store.inner, 'get');
    await server.pause();
    try {
      for (let i = 0; i < 4; i++) {
        expect(await fetchPage(app, '/page')).toMatchObject({ status: 200, text: expected() });
      }
      expect(store.state).toBe('open');
      calls.mockClear();
      const whileOpen = await Promise.all(
        Array.from({ length: 20 }, () => fetchPage(app, '/page')),
      );
      expect(whileOpen.every(a => a.status === 200 && a.text === expected())).toBe(true);
      expect(calls).not.toHaveBeenCalled();
    } finally {
      await server.resume();
    }
    await vi.waitFor(async () => expect((await fetchPage(app, '/page')).cache).toBe('HIT'), WAIT);
    expect(store.state).toBe('closed');
  });

  it('garbage under a page key is a miss, the page renders, and the garbage is replaced', async () => {
    await fetchPage(app, '/page');
    const cache = app.app.get(CacheService);
    const keys: string[] = [];
    for await (const key of cache.keys('page:*')) keys.push(key);
    expect(keys).toHaveLength(1);
    const client = new Redis(server.url);
    await client.set(`${cache.namespace}:${keys[0]}`, 'garbage that is not an entry');
    backend.version = 5;
    expect(await fetchPage(app, '/page')).toMatchObject({
      status: 200,
      cache: 'MISS',
      text: expected(),
    });
    expect(await fetchPage(app, '/page')).toMatchObject({ cache: 'HIT', text: expected() });
    expect((await client.getBuffer(`${cache.namespace}:${keys[0]}`))?.[0]).toBe(0xfe);
    client.disconnect();
  });
});

describe('Redis unreachable at startup', () => {
  it('the app starts, serves uncached pages, and caches once Redis comes up', async () => {
    const port = await freePort();
    const backend = new Backend();
    const app = await startApp(
      'fastify',
      ResilienceModule.with(backend, { redis: `redis://127.0.0.1:${port}`, keyPrefix: 'late' }),
    );
    let server: RedisServer | undefined;
    try {
      // Answered by the handler, and said to be uncached because the store cannot be reached.
      for (let i = 0; i < 3; i++) {
        expect(await fetchPage(app, '/page')).toMatchObject({ status: 200, cache: 'BYPASS' });
      }
      server = await RedisServer.start({ port });
      await vi.waitFor(async () => expect((await fetchPage(app, '/page')).cache).toBe('HIT'), WAIT);
    } finally {
      await app.close();
      await server?.stop();
    }
  });
});

describe('compression of large entries', () => {
  it('is transparent to readers and stores fewer bytes', async () => {
    const backend = new Backend();
    const app = await startApp(
      'express',
      ResilienceModule.with(backend, {
        redis: redisUrl(),
        keyPrefix: uniquePrefix('zip'),
        compressAbove: 256,
      }),
    );
    const client = new Redis(redisUrl());
    try {
      const miss = await app.get('/page');
      const missBody = Buffer.from(await miss.arrayBuffer());
      const hit = await app.get('/page');
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(Buffer.from(await hit.arrayBuffer()).equals(missBody)).toBe(true);
      const cache = app.app.get(CacheService);
      for await (const key of cache.keys('page:*')) {
        const stored = await client.getBuffer(`${cache.namespace}:${key}`);
        expect(stored!.length).toBeLessThan(missBody.length);
      }
      await cache.set('value', { text: 'x'.repeat(5000) });
      expect(await cache.get('value')).toEqual({ text: 'x'.repeat(5000) });
      await cache.clear();
    } finally {
      client.disconnect();
      await app.close();
    }
  });
});
