import { Controller, Get, Module, Param } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Redis } from 'ioredis';
import {
  CacheKeyFrom,
  CacheModule,
  CachePage,
  DirectoryInvalidationJournal,
  ENTITY_SAVED,
} from 'nestjs-page-cache';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchPage } from '../support/fetch-page.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** The "database" the pages are built from. */
const titles = new Map<string, string>();

@Controller()
class ItemsController {
  @Get('items/:id')
  @CachePage(0)
  @CacheKeyFrom({ model: 'Item', id: 'id' })
  show(@Param('id') id: string) {
    return { title: titles.get(id) ?? null };
  }

  @Get('reports/:id')
  @CachePage({ ttl: 0, cache: 'reports' })
  @CacheKeyFrom({ model: 'Item', id: 'id' })
  report(@Param('id') id: string) {
    return { report: titles.get(id) ?? null };
  }
}

/**
 * Two caches of one app (the default one and a named one) whose invalidation journal is one
 * directory: each one's delivery finds — and removes — what the other recorded. Every record
 * must still reach both caches.
 */
describe('two caches sharing one invalidation journal directory', () => {
  let redis: RedisServer;
  /** The default cache reaches Redis through one proxy, the named cache through another. */
  let proxy: TcpProxy;
  let reportsProxy: TcpProxy;
  let dir: string;
  let app: RunningApp;
  const defaultPrefix = uniquePrefix('journal');

  beforeAll(async () => {
    redis = await RedisServer.start();
    proxy = await TcpProxy.start(redis.port);
    reportsProxy = await TcpProxy.start(redis.port);
    dir = mkdtempSync(join(tmpdir(), 'shared-journal-'));
    const cache = (name?: string) =>
      CacheModule.forRoot({
        ...(name ? { name } : {}),
        redis: name ? reportsProxy.url : proxy.url,
        keyPrefix: name ? uniquePrefix(name) : defaultPrefix,
        commandTimeout: 150,
        breaker: { failures: 2, cooldown: '300ms' },
        invalidationJournal: new DirectoryInvalidationJournal(dir),
      });
    @Module({
      imports: [EventEmitterModule.forRoot(), cache(), cache('reports')],
      controllers: [ItemsController],
    })
    class SharedJournalModule {}
    app = await startApp('express', SharedJournalModule);
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await reportsProxy?.close();
    await redis?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every record to both caches, whichever cache delivers it', async () => {
    titles.set('1', 'v0');
    for (const path of ['/items/1', '/reports/1']) {
      expect((await fetchPage(app, path)).cache).toBe('MISS');
      expect((await fetchPage(app, path)).cache).toBe('HIT');
    }
    proxy.drop();
    reportsProxy.drop();
    titles.set('1', 'v1');
    await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: 'Item', id: '1' });
    expect(readdirSync(dir).filter(name => name.endsWith('.json')).length).toBeGreaterThan(0);
    // The default cache comes back first, and its delivery finds both caches' records: it clears
    // its own entries (the other cache is still unreachable).
    proxy.heal();
    const redisClient = new Redis(redis.url);
    try {
      await vi.waitFor(
        async () => {
          expect(await redisClient.keys(`${defaultPrefix}:*:page:*`)).toEqual([]);
        },
        { timeout: 20_000, interval: 100 },
      );
    } finally {
      redisClient.disconnect();
    }
    reportsProxy.heal();
    await vi.waitFor(
      () => expect(readdirSync(dir).filter(name => name.endsWith('.json'))).toEqual([]),
      { timeout: 20_000, interval: 100 },
    );
    expect(JSON.parse((await fetchPage(app, '/items/1')).text)).toEqual({ title: 'v1' });
    expect(JSON.parse((await fetchPage(app, '/reports/1')).text)).toEqual({ report: 'v1' });
    // Both caches know it was delivered: they serve from the cache again.
    for (const path of ['/items/1', '/reports/1']) {
      await vi.waitFor(async () => expect((await fetchPage(app, path)).cache).toBe('HIT'), {
        timeout: 10_000,
        interval: 100,
      });
    }
  });
});
