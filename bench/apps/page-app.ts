// The app under test of the hit-path and stampede scenarios, one contender per process:
//   node --import ./test/support/ts-register.mjs bench/apps/page-app.ts \
//     --adapter express|fastify \
//     --contender limit|early-floor|redis-floor|noop-interceptor|lib-redis|lib-redis-otel|lib-redis-near| \
//                 lib-redis-interceptor| \
//                 lib-redis-nostats|lib-cluster|lib-memory| \
//                 cache-manager|none \
//     [--events]
// `--events` adds `EventEmitterModule`, as an app using model invalidation has (the cache then
// asks on each hit whether anyone listens for its events).
// `GET /page` serves the 50-row page; the caching contenders also have `GET /slow` (a page whose
// render takes 50 ms, for the stampede) and `GET /__bench/runs` (how often /slow's handler ran).
import KeyvRedis from '@keyv/redis';
import { CacheInterceptor, CacheModule as NestCacheModule, CacheTTL } from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Res,
  UseInterceptors,
  type CallHandler,
  type DynamicModule,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { Response } from 'express';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { CacheModule, CachePage } from 'nestjs-page-cache';
import { setTimeout as sleep } from 'node:timers/promises';
import { PAGE_BUFFER, pageBody } from './page-data.js';
import { adapterArg, arg, redisUrl, serve } from './serve.js';

export const CONTENDERS = [
  'limit',
  'early-floor',
  'redis-floor',
  'noop-interceptor',
  'lib-redis',
  'lib-redis-otel',
  'lib-redis-near',
  'lib-redis-interceptor',
  'lib-redis-nostats',
  'lib-cluster',
  'lib-memory',
  'cache-manager',
  'none',
] as const;
export type Contender = (typeof CONTENDERS)[number];

/** The simulated query of the page's handler (ms). */
const QUERY_MS = 5;
/** The render time of the stampede page (ms). */
const SLOW_RENDER_MS = 50;
const HOUR_MS = 3_600_000;

let slowRuns = 0;

async function renderPage(): Promise<ReturnType<typeof pageBody>> {
  await sleep(QUERY_MS);
  return pageBody();
}

async function renderSlowPage(): Promise<ReturnType<typeof pageBody>> {
  slowRuns += 1;
  await sleep(SLOW_RENDER_MS);
  return pageBody();
}

/** The best possible: a pre-serialized Buffer written as it is. */
@Controller()
class LimitController {
  @Get('page')
  page(@Res() res: Response | FastifyReply): void {
    if ('setHeader' in res) {
      res.setHeader('content-type', 'application/json');
      res.end(PAGE_BUFFER);
    } else {
      void res.header('content-type', 'application/json').send(PAGE_BUFFER);
    }
  }
}

/**
 * A global interceptor that does nothing: in front of the limit's route, it measures what Nest's
 * interceptor pipeline costs by itself — the ceiling of any cache built as an interceptor.
 */
@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

/** No cache: every request runs the query and serializes the rows. */
@Controller()
class UncachedController {
  @Get('page')
  page() {
    return renderPage();
  }
}

/** Counts the stampede page's handler runs. */
@Controller('__bench')
class RunsController {
  @Get('runs')
  runs() {
    return { runs: slowRuns };
  }
}

/** This library: the handler decorated with @CachePage. */
@Controller()
class PageCacheController {
  @Get('page')
  @CachePage('1h')
  page() {
    return renderPage();
  }

  @Get('slow')
  @CachePage('1h')
  slow() {
    return renderSlowPage();
  }
}

/** @nestjs/cache-manager, wired as its documentation shows. */
@Controller()
@UseInterceptors(CacheInterceptor)
class CacheManagerController {
  @Get('page')
  @CacheTTL(HOUR_MS)
  page() {
    return renderPage();
  }

  @Get('slow')
  @CacheTTL(HOUR_MS)
  slow() {
    return renderSlowPage();
  }
}

@Module({})
class PageAppModule {
  static forContender(contender: Contender): DynamicModule {
    const keyPrefix = process.env.BENCH_KEY_PREFIX ?? `bench-${process.pid}`;
    switch (contender) {
      case 'limit':
      case 'early-floor':
      case 'redis-floor':
        return { module: PageAppModule, controllers: [LimitController] };
      case 'noop-interceptor':
        return {
          module: PageAppModule,
          controllers: [LimitController],
          providers: [{ provide: APP_INTERCEPTOR, useClass: NoopInterceptor }],
        };
      case 'none':
        return { module: PageAppModule, controllers: [UncachedController] };
      case 'lib-redis':
      // The same app with the OpenTelemetry SDK registered (see registerOpenTelemetry below).
      case 'lib-redis-otel':
        return {
          module: PageAppModule,
          imports: [CacheModule.forRoot({ redis: redisUrl(), keyPrefix, ttl: '1h' })],
          controllers: [PageCacheController, RunsController],
        };
      case 'lib-redis-near':
        // Near copies: a hit is answered from this process's memory, 0 commands to Redis.
        return {
          module: PageAppModule,
          imports: [CacheModule.forRoot({ redis: redisUrl(), keyPrefix, ttl: '1h', near: true })],
          controllers: [PageCacheController, RunsController],
        };
      case 'lib-redis-interceptor':
        // The early hit path off: every hit goes through Nest's interceptor pipeline.
        return {
          module: PageAppModule,
          imports: [
            CacheModule.forRoot({
              redis: redisUrl(),
              keyPrefix,
              ttl: '1h',
              pages: { early: false },
            }),
          ],
          controllers: [PageCacheController, RunsController],
        };
      case 'lib-redis-nostats':
        return {
          module: PageAppModule,
          imports: [
            CacheModule.forRoot({ redis: redisUrl(), keyPrefix, ttl: '1h', statistics: false }),
          ],
          controllers: [PageCacheController, RunsController],
        };
      case 'lib-cluster':
        return {
          module: PageAppModule,
          imports: [
            CacheModule.forRoot({
              redis: {
                cluster: (process.env.REDIS_CLUSTER_NODES ?? '').split(',').map(node => {
                  const [host, port] = node.split(':');
                  return { host, port: Number(port) };
                }),
              },
              keyPrefix,
              ttl: '1h',
            }),
          ],
          controllers: [PageCacheController, RunsController],
        };
      case 'lib-memory':
        return {
          module: PageAppModule,
          imports: [CacheModule.forRoot({ store: 'memory', keyPrefix, ttl: '1h' })],
          controllers: [PageCacheController, RunsController],
        };
      case 'cache-manager':
        return {
          module: PageAppModule,
          imports: [
            NestCacheModule.register({
              stores: [new KeyvRedis(redisUrl(), { namespace: keyPrefix })],
              ttl: HOUR_MS,
            }),
          ],
          controllers: [CacheManagerController, RunsController],
        };
    }
  }
}

/**
 * The floor of any Redis-backed hit: before Nest's router, one auto-pipelined ioredis GET of the
 * page's bytes, written as they are — no key, no freshness check, no headers but the type. No
 * cache can answer a hit from Redis for less on this adapter and this machine (Redis itself runs
 * on the same cores).
 */
async function installRedisFloor(
  app: INestApplication,
  adapter: 'express' | 'fastify',
): Promise<void> {
  const redis = new Redis(redisUrl(), { enableAutoPipelining: true });
  const key = `${process.env.BENCH_KEY_PREFIX ?? `bench-${process.pid}`}:floor`;
  await redis.set(key, PAGE_BUFFER);
  if (adapter === 'express') {
    app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      if (req.method !== 'GET' || req.url !== '/page') return next();
      redis.getBuffer(key).then(
        body => {
          res.setHeader('content-type', 'application/json');
          res.end(body);
        },
        () => next(),
      );
    });
    return;
  }
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.url !== '/page') return;
    const body = await redis.getBuffer(key);
    return reply.header('content-type', 'application/json').send(body);
  });
}

/**
 * The floor of any answer before Nest: the page's bytes, held in memory, written from the first
 * place the adapter lets an app answer a routed request (an Express middleware, a Fastify
 * `onRequest` hook), with no key, no lookup and no headers but the type. No cache that answers
 * before Nest can do better on this adapter and this machine.
 */
function installEarlyFloor(app: INestApplication, adapter: 'express' | 'fastify'): void {
  if (adapter === 'express') {
    app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      if (req.method !== 'GET' || req.url !== '/page') return next();
      res.setHeader('content-type', 'application/json');
      res.end(PAGE_BUFFER);
    });
    return;
  }
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'GET' || request.url !== '/page') return done();
    void reply.header('content-type', 'application/json').send(PAGE_BUFFER);
  });
}

const contender = arg('contender') as Contender;
if (!CONTENDERS.includes(contender)) throw new Error(`unknown --contender ${contender}`);
const app = PageAppModule.forContender(contender);
if (process.argv.includes('--events')) {
  app.imports = [EventEmitterModule.forRoot(), ...(app.imports ?? [])];
}
const adapter = adapterArg();
if (contender === 'lib-redis-otel') (await import('./otel-sdk.js')).registerOpenTelemetry();
await serve(app, adapter, async nest => {
  if (contender === 'redis-floor') await installRedisFloor(nest, adapter);
  if (contender === 'early-floor') installEarlyFloor(nest, adapter);
  // `--compression`: behind the adapter's compression middleware, as the Nest docs set it up.
  if (process.argv.includes('--compression')) {
    if (adapter === 'express') nest.use((await import('compression')).default());
    else {
      const fastify = nest as unknown as { register(plugin: unknown): Promise<unknown> };
      await fastify.register((await import('@fastify/compress')).default);
    }
  }
});
