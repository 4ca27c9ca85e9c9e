import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { InvalidationPipeline } from '../../libs/page-cache/src/invalidation/invalidation-pipeline.js';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Cached,
  CacheKeyFrom,
  CacheModule,
  CachePage,
  CacheService,
  DirectoryInvalidationJournal,
  ENTITY_SAVED,
  type CacheModuleOptions,
} from 'nestjs-page-cache';
import { fetchPage } from '../support/fetch-page.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** The one row every view below is built from. */
const table = { post: 'v1' };

@Injectable()
class Posts {
  @Cached({ ttl: 0, models: ['Post'] })
  async title(): Promise<string> {
    return table.post;
  }
}

@Controller('post')
class PostController {
  @Get()
  @CachePage(0)
  @CacheKeyFrom('Post')
  show(): string {
    return table.post;
  }
}

/**
 * A save acknowledged while the store's circuit breaker is open has its invalidation refused
 * without it reaching Redis. The process knows: until the retried invalidation lands, nothing
 * built from that model is answered from the cache (Redis still holds the old tokens), and the
 * edge — which does not depend on Redis — is purged at once, and again once Redis has it.
 */
describe('an invalidation that failed while the store was unreachable', () => {
  let app: RunningApp | undefined;
  let proxy: TcpProxy;
  let dir: string | undefined;
  let purged: string[][];

  async function boot(extra: CacheModuleOptions = {}) {
    proxy = await TcpProxy.start(Number(new URL(redisUrl()).port));
    @Module({
      imports: [
        EventEmitterModule.forRoot(),
        CacheModule.forRoot({
          redis: proxy.url,
          keyPrefix: uniquePrefix('failwin'),
          pages: {
            edge: {
              header: 'xkey',
              purge: async (tags: string[]) => {
                purged.push(tags);
              },
            },
          },
          ...extra,
        }),
      ],
      controllers: [PostController],
      providers: [Posts],
    })
    class AppModule {}
    app = await startApp('express', AppModule);
    return {
      posts: app.app.get(Posts),
      cache: app.app.get(CacheService),
      pending: app.app.get(InvalidationPipeline).pending,
      events: app.app.get(EventEmitter2),
    };
  }

  beforeEach(() => {
    table.post = 'v1';
    purged = [];
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await proxy.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /**
   * Redis stalls briefly: three reads time out and the breaker opens. Redis answers again at once,
   * every key as it was. A save made while the breaker is still open is acknowledged, but its
   * invalidation is refused without reaching Redis. Returns every answer of every reader over
   * the next `forMs` (the breaker closes after 2 s; the retry follows with backoff).
   */
  async function saveWhileBreakerOpen(
    events: EventEmitter2,
    readers: Record<string, () => Promise<unknown>>,
    forMs: number,
  ): Promise<Record<string, unknown[]>> {
    proxy.drop();
    for (let i = 0; i < 3; i++) await readers[Object.keys(readers)[0]!]!();
    proxy.heal();
    table.post = 'v2';
    await events.emitAsync(ENTITY_SAVED, { model: 'Post', id: 1 });
    const answers: Record<string, unknown[]> = {};
    for (const name of Object.keys(readers)) answers[name] = [];
    const until = Date.now() + forMs;
    while (Date.now() < until) {
      for (const [name, read] of Object.entries(readers)) answers[name]!.push(await read());
      await sleep(50);
    }
    return answers;
  }

  it('without a journal, answers nothing old from the cache until the retried invalidation lands', async () => {
    const { posts, cache, events, pending } = await boot();
    const page = async () => {
      const { text, cache: outcome } = await fetchPage(app!, '/post');
      return `${text} ${outcome}`;
    };
    const readers = {
      cached: () => posts.title(),
      getOrSet: () => cache.getOrSet('title', () => table.post, { ttl: 0, models: ['Post'] }),
      entity: () =>
        cache.getOrSet('title/1', () => table.post, {
          ttl: 0,
          models: [{ model: 'Post', id: 1 }],
        }),
      get: () => cache.get('stored'),
      page,
    };
    await cache.set('stored', 'v1', { ttl: 0, models: ['Post'] });
    await page();
    expect(await page()).toBe('v1 HIT');
    for (const read of Object.values(readers)) expect(await read()).toMatch(/^v1/);

    const answers = await saveWhileBreakerOpen(events, readers, 4_000);
    for (const [name, seen] of Object.entries(answers)) {
      expect({ name, old: seen.filter(answer => String(answer).startsWith('v1')) }).toEqual({
        name,
        old: [],
      });
    }
    // Pages bypassed rather than answered from the cache while the invalidation was pending…
    expect(answers.page).toContain('v2 BYPASS');
    // …and are cached again once it landed.
    await vi.waitFor(() => expect(pending.size).toBe(0), { timeout: 10_000 });
    await page();
    expect(await page()).toBe('v2 HIT');
    expect(await posts.title()).toBe('v2');
    expect(await cache.get('stored')).toBeUndefined();
  }, 30_000);

  it('with a journal, getOrSet with the same models answers nothing old either', async () => {
    dir = mkdtempSync(join(tmpdir(), 'failwin-journal-'));
    const { cache, events } = await boot({
      invalidationJournal: new DirectoryInvalidationJournal(dir),
    });
    const read = () =>
      cache.getOrSet('title', async () => table.post, { ttl: 0, models: ['Post'] });
    expect(await read()).toBe('v1');
    const { getOrSet } = await saveWhileBreakerOpen(events, { getOrSet: read }, 4_000);
    expect(getOrSet.filter(answer => answer === 'v1')).toEqual([]);
  }, 30_000);

  it('purges the edge while Redis is unreachable, and again once the retried invalidation lands', async () => {
    const { posts, events, pending } = await boot();
    await posts.title();
    proxy.drop();
    await events.emitAsync(ENTITY_SAVED, { model: 'Post', id: 1 });
    // The edge is up and answering; only Redis is away.
    expect(purged).toEqual([['Post', 'Post/1']]);
    expect(pending.models()).toEqual(['Post']);

    await sleep(500);
    proxy.heal();
    // A page rendered from old data meanwhile may have reached the edge: purged once more.
    await vi.waitFor(() => expect(pending.size).toBe(0), { timeout: 15_000 });
    expect(purged).toEqual([
      ['Post', 'Post/1'],
      ['Post', 'Post/1'],
    ]);
  }, 30_000);

  it('expirePage purges the edge even when Redis is unreachable', async () => {
    const { cache } = await boot();
    proxy.drop();
    await expect(cache.expirePage('/post')).rejects.toThrow();
    expect(purged).toHaveLength(1);
  }, 30_000);
});
