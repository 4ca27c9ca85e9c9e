import { EventEmitter2 } from '@nestjs/event-emitter';
import { Redis } from 'ioredis';
import { CACHE_EVENTS, CacheService, ENTITY_SAVED, getCacheToken } from 'nestjs-page-cache';
import { payloadsOf, recordCacheEvents } from './fixtures/operability/events.js';
import { namedModule, namedRuns, SessionService } from './fixtures/operability/named.fixture.js';
import { fetchPage } from './support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from './support/http-app.js';
import { redisUrl, uniquePrefix } from './support/redis.js';

/** The shared server's URL with another database. */
function withDb(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/** Keys of one database matching a pattern (SCAN). */
async function keysIn(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of client.scanStream({ match: pattern, count: 1000 })) {
    found.push(...(batch as string[]));
  }
  return found.sort();
}

describe.each(ADAPTERS)('named caches on %s', adapter => {
  let app: RunningApp;
  let db0: Redis;
  let db1: Redis;
  let prefix: string;
  let service: SessionService;

  beforeAll(() => {
    db0 = new Redis(withDb(redisUrl(), 0));
    db1 = new Redis(withDb(redisUrl(), 1));
  });
  afterAll(async () => {
    db0.disconnect();
    db1.disconnect();
  });

  beforeEach(async () => {
    namedRuns.reset();
    // The same prefix in both: only the database keeps them apart.
    prefix = uniquePrefix('named');
    app = await startApp(
      adapter,
      namedModule(
        { redis: withDb(redisUrl(), 0), keyPrefix: prefix },
        { redis: withDb(redisUrl(), 1), keyPrefix: prefix },
      ),
    );
    service = app.app.get(SessionService);
  });
  afterEach(async () => {
    await service.sessions.clear();
    await service.main.clear();
    await app.close();
  });

  it('injects each cache where it is asked for', () => {
    const { sessions, main, plain } = service;
    expect(sessions).toBeInstanceOf(CacheService);
    expect(sessions).not.toBe(main);
    expect(main).toBe(plain);
    expect(app.app.get(getCacheToken('sessions'))).toBe(sessions);
    expect(app.app.get(getCacheToken())).toBe(main);
    // (app.get(CacheService) is ambiguous with several caches: Nest returns the last registered.)
    expect(sessions.stats().cache).toBe('sessions');
    expect(main.stats().cache).toBe('default');
  });

  it('keeps values apart: each cache in its own database', async () => {
    await service.sessions.set('token', { user: 1 });
    expect(await service.sessions.get('token')).toEqual({ user: 1 });
    expect(await service.main.get('token')).toBeUndefined();
    await service.main.set('token', 'main');
    expect(await service.sessions.get('token')).toEqual({ user: 1 });
    expect(await service.main.get('token')).toBe('main');

    expect(await keysIn(db1, `${prefix}:*`)).toEqual([`${prefix}:1:token`]);
    expect(await keysIn(db0, `${prefix}:*`)).toEqual([`${prefix}:1:token`]);
    expect(await db1.getBuffer(`${prefix}:1:token`)).not.toEqual(
      await db0.getBuffer(`${prefix}:1:token`),
    );
    expect(await service.sessions.delete('token')).toBe(true);
    expect(await service.main.get('token')).toBe('main');
    expect(service.sessions.stats().values).toMatchObject({ hits: 2, misses: 0, writes: 1 });
    expect(service.main.stats().values).toMatchObject({ hits: 2, misses: 1, writes: 1 });
  });

  it('stores @CachePage({ cache }) pages in the named cache only, default pages in the default', async () => {
    const received = recordCacheEvents(app.app);
    expect((await fetchPage(app, '/named/session/1')).cache).toBe('MISS');
    expect((await fetchPage(app, '/named/session/1')).cache).toBe('HIT');
    expect(namedRuns.of('session')).toBe(1);
    expect(await keysIn(db1, `${prefix}:1:page:*`)).toHaveLength(1);
    expect(await keysIn(db0, `${prefix}:1:page:*`)).toEqual([]);

    expect((await fetchPage(app, '/named/main/1')).cache).toBe('MISS');
    expect((await fetchPage(app, '/named/main/1')).cache).toBe('HIT');
    expect(namedRuns.of('main')).toBe(1);
    expect(await keysIn(db0, `${prefix}:1:page:*`)).toHaveLength(1);
    expect(await keysIn(db1, `${prefix}:1:page:*`)).toHaveLength(1);

    // Each cache counts its own pages.
    const sessions = service.sessions.stats();
    const main = service.main.stats();
    expect(Object.keys(sessions.views)).toEqual(['NamedController.session']);
    expect(Object.keys(main.views)).toEqual(['NamedController.main']);
    expect(sessions.pages).toMatchObject({ hits: 1, misses: 1, writes: 1, hitRate: 0.5 });
    expect(main.pages).toMatchObject({ hits: 1, misses: 1, writes: 1, hitRate: 0.5 });
    expect(payloadsOf(received, CACHE_EVENTS.hit)).toEqual([
      expect.objectContaining({ cache: 'sessions', view: 'NamedController.session' }),
      expect.objectContaining({ cache: 'default', view: 'NamedController.main' }),
    ]);

    // Clearing one cache leaves the other's pages.
    await service.sessions.clear();
    expect((await fetchPage(app, '/named/session/1')).cache).toBe('MISS');
    expect((await fetchPage(app, '/named/main/1')).cache).toBe('HIT');
  });
});

describe('named caches and entity events', () => {
  it('invalidates every cache', async () => {
    const app = await startApp(
      'express',
      namedModule(
        { redis: redisUrl(), keyPrefix: uniquePrefix('named_inv_main') },
        { redis: redisUrl(), keyPrefix: uniquePrefix('named_inv_ses') },
      ),
    );
    try {
      const { sessions, main } = app.app.get(SessionService);
      await sessions.set('s', 1, { models: ['Post'] });
      await main.set('m', 1, { models: ['Post'] });
      await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: 'Post', id: 1 });
      expect(await sessions.get('s')).toBeUndefined();
      expect(await main.get('m')).toBeUndefined();
      expect(sessions.stats().invalidations).toEqual({ count: 1, entriesRemoved: 1 });
      expect(main.stats().invalidations).toEqual({ count: 1, entriesRemoved: 1 });
    } finally {
      await app.close();
    }
  });
});

describe('named caches in one database', () => {
  it('keeps two prefixes of the same database apart', async () => {
    const [mainPrefix, sessionsPrefix] = [uniquePrefix('named_main'), uniquePrefix('named_ses')];
    const app = await startApp(
      'express',
      namedModule(
        { redis: redisUrl(), keyPrefix: mainPrefix },
        { redis: redisUrl(), keyPrefix: sessionsPrefix },
      ),
    );
    try {
      const { sessions, main } = app.app.get(SessionService);
      await sessions.set('k', 'sessions');
      await main.set('k', 'main');
      expect(await sessions.get('k')).toBe('sessions');
      expect(await main.get('k')).toBe('main');
      expect(await sessions.clear()).toBe(1);
      expect(await main.get('k')).toBe('main');
      expect((await fetchPage(app, '/named/session/2')).cache).toBe('MISS');
      expect((await fetchPage(app, '/named/session/2')).cache).toBe('HIT');
      expect(await main.keys('page:*')[Symbol.asyncIterator]().next()).toEqual({
        done: true,
        value: undefined,
      });
      await main.clear();
      await sessions.clear();
    } finally {
      await app.close();
    }
  });
});
