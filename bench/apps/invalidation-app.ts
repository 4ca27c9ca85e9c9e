// The app under test of the invalidation scenario (Express, Redis store):
//   node --import ./test/support/ts-register.mjs bench/apps/invalidation-app.ts
// `GET /articles/:n` are cached pages built from the Article model; the `POST /__bench/*` routes
// time, inside the process, an invalidation through the event path and a SCAN deletion.
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import {
  CacheKeyFrom,
  CacheModule,
  CachePage,
  CacheService,
  ENTITY_SAVED,
} from 'nestjs-page-cache';
import { ARTICLE_PAGES_GLOB } from './constants.js';
import { pageRows } from './page-data.js';
import { redisUrl, serve } from './serve.js';

@Controller('articles')
class ArticlesController {
  @Get(':n')
  @CachePage('1h')
  @CacheKeyFrom('Article')
  show(@Param('n') n: string) {
    return { article: Number(n), related: pageRows().slice(0, 5) };
  }
}

@Controller('__bench')
class BenchController {
  constructor(
    private readonly events: EventEmitter2,
    private readonly cache: CacheService,
  ) {}

  /** What a save of an Article does: the entity event, awaited with its listeners. */
  @Post('invalidate')
  async invalidate() {
    const started = performance.now();
    await this.events.emitAsync(ENTITY_SAVED, { model: 'Article' });
    return { ms: performance.now() - started };
  }

  /** The pattern way: SCAN the keyspace for the pages' keys and delete them. */
  @Post('delete-pattern')
  async deletePattern() {
    const started = performance.now();
    const deleted = await this.cache.deletePattern(ARTICLE_PAGES_GLOB);
    return { ms: performance.now() - started, deleted };
  }
}

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    CacheModule.forRoot({
      // REDIS_CLUSTER_NODES (host:port,…) selects a Redis Cluster instead of REDIS_URL.
      redis: process.env.REDIS_CLUSTER_NODES
        ? {
            cluster: process.env.REDIS_CLUSTER_NODES.split(',').map(node => {
              const [host, port] = node.split(':');
              return { host, port: Number(port) };
            }),
          }
        : redisUrl(),
      keyPrefix: 'bench-invalidation',
      ttl: '1h',
    }),
  ],
  controllers: [ArticlesController, BenchController],
})
class InvalidationAppModule {}

await serve(InvalidationAppModule, 'express');
