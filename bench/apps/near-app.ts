// The app under test of the near-invalidation scenario (Express, Redis store, near copies):
//   node --import ./test/support/ts-register.mjs bench/apps/near-app.ts [--lease-ms 2000]
// Several of them share one namespace. `GET /articles/:n` are cached pages built from the Article
// model, stamped with when they were rendered; `POST /__bench/invalidate` times, inside the
// process, `cache.invalidate('Article')` (it resolves once every holder dropped its copies or its
// lease ran out); `GET /__bench/near` shows `stats().near`.
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CacheKeyFrom, CacheModule, CachePage, CacheService } from 'nestjs-page-cache';
import { arg, redisUrl, serve } from './serve.js';

@Controller('articles')
class ArticlesController {
  @Get(':n')
  @CachePage('1h')
  @CacheKeyFrom('Article')
  show(@Param('n') n: string) {
    return { article: Number(n), renderedAt: Date.now() };
  }
}

@Controller('__bench')
class BenchController {
  constructor(private readonly cache: CacheService) {}

  @Post('invalidate')
  async invalidate() {
    const started = performance.now();
    await this.cache.invalidate('Article');
    return { ms: performance.now() - started };
  }

  @Get('near')
  near() {
    return this.cache.stats().near ?? null;
  }
}

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    CacheModule.forRoot({
      redis: redisUrl(),
      keyPrefix: process.env.BENCH_KEY_PREFIX ?? 'bench-near',
      ttl: '1h',
      near: { lease: Number(arg('lease-ms', '2000')) },
    }),
  ],
  controllers: [ArticlesController, BenchController],
})
class NearAppModule {}

await serve(NearAppModule, 'express');
