import { Controller, Get, Module, Param } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Redis } from 'ioredis';
import { CacheKeyFrom, CacheModule, CachePage, CacheService } from 'nestjs-page-cache';
import { fetchPage } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

/** The "database" both processes read. */
const titles = new Map<string, string>();

class Article {}

@Controller('articles')
class ArticlesController {
  @Get(':id')
  @CachePage(0)
  @CacheKeyFrom({ model: Article, id: 'id' })
  show(@Param('id') id: string) {
    return { id, title: titles.get(id) ?? null };
  }
}

function blogModule(redis: string, keyPrefix: string) {
  @Module({
    imports: [
      EventEmitterModule.forRoot(),
      CacheModule.forRoot({ redis, keyPrefix, commandTimeout: 500 }),
    ],
    controllers: [ArticlesController],
  })
  class BlogModule {}
  return BlogModule;
}

/**
 * Redis run with `noeviction` refuses every write once its memory is full, while reads go on. An
 * invalidation must still reach it: readers in other processes would otherwise serve the page
 * built before the save for as long as Redis stays full.
 */
describe.each(ADAPTERS)(
  'invalidation when Redis refuses writes (noeviction, full), on %s',
  adapter => {
    let redis: RedisServer;
    let writer: RunningApp;
    let reader: RunningApp;

    beforeAll(async () => {
      redis = await RedisServer.start({
        args: ['--maxmemory', '100mb', '--maxmemory-policy', 'noeviction'],
      });
      const prefix = uniquePrefix('noeviction');
      [writer, reader] = await Promise.all([
        startApp(adapter, blogModule(redis.url, prefix)),
        startApp(adapter, blogModule(redis.url, prefix)),
      ]);
    });
    afterAll(async () => {
      await Promise.all([writer?.close(), reader?.close()]);
      await redis?.kill();
    });

    it('reaches Redis, and no reader serves the page from before the save', async () => {
      titles.set('1', 'v0');
      expect((await fetchPage(reader, '/articles/1')).cache).toBe('MISS');
      expect(await fetchPage(reader, '/articles/1')).toMatchObject({ cache: 'HIT' });
      // Redis is full: more is held than its limit allows, so it refuses every write.
      const admin = new Redis(redis.url);
      try {
        const junk = 'x'.repeat(10_000);
        for (let i = 0; i < 200; i++) await admin.set(`junk:${i}`, junk);
        await admin.config('SET', 'maxmemory', '1mb');
        await expect(admin.set('probe', '1')).rejects.toThrow(/OOM/);
      } finally {
        admin.disconnect();
      }
      titles.set('1', 'v1');
      await writer.app.get(CacheService).invalidate(Article, '1');
      const answer = await fetchPage(reader, '/articles/1');
      expect(answer.cache).not.toBe('HIT');
      expect(JSON.parse(answer.text)).toEqual({ id: '1', title: 'v1' });
    });
  },
);
