import { Controller, Get, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { RouteSchema, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fp from 'fastify-plugin';
import { CacheModule, CachePage, CacheService } from 'nestjs-page-cache';
import { rawRequest, startApp, type RunningApp } from '../../support/http-app.js';
import { redisUrl, uniquePrefix } from '../../support/redis.js';

@Controller()
class ReportController {
  @Get('report')
  @CachePage('1h')
  report() {
    return { report: 'internal numbers' };
  }
}

function module(early: boolean | undefined) {
  @Module({
    imports: [
      EventEmitterModule.forRoot(),
      CacheModule.forRoot({
        redis: redisUrl(),
        keyPrefix: uniquePrefix('early_hooks'),
        pages: early === undefined ? {} : { early },
      }),
    ],
    controllers: [ReportController],
  })
  class M {}
  return M;
}

type Hooked = {
  addHook(
    name: string,
    fn: (
      req: { headers: Record<string, unknown> },
      reply: { code(n: number): { send(b: unknown): unknown } },
    ) => Promise<unknown>,
  ): void;
};

/**
 * Access control done by Fastify hooks (not Nest guards). The interceptor path runs after every
 * hook; the early path serves a route only where it is the route's last hook before the handler
 * (no later onRequest hook, no preParsing/preValidation/preHandler hook).
 */
describe.each([
  [
    'global preHandler hook',
    (app: NestFastifyApplication) => {
      (app.getHttpAdapter().getInstance() as unknown as Hooked).addHook(
        'preHandler',
        async (req, reply) => {
          if (req.headers['x-token'] !== 'secret') return reply.code(401).send({ error: 'no' });
        },
      );
    },
  ],
  [
    'onRequest hook of a plugin registered without await',
    (app: NestFastifyApplication) => {
      void app.register(
        fp(async (instance: Hooked) => {
          instance.addHook('onRequest', async (req, reply) => {
            if (req.headers['x-token'] !== 'secret') return reply.code(401).send({ error: 'no' });
          });
        }) as never,
      );
    },
  ],
] as const)('early hits and Fastify access control by a %s', (_name, configure) => {
  let app: RunningApp;
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it.each([false, undefined])(
    'early=%s (undefined = default): a request without the token is refused after an authorised one was cached',
    async early => {
      app = await startApp('fastify', module(early), a => configure(a as NestFastifyApplication));
      expect((await rawRequest(app, '/report')).status).toBe(401);
      const ok1 = await rawRequest(app, '/report', { 'x-token': 'secret' });
      expect(ok1.status).toBe(200);
      const ok2 = await rawRequest(app, '/report', { 'x-token': 'secret' });
      expect(ok2.status).toBe(200);
      const anonymous = await rawRequest(app, '/report');
      expect(`${anonymous.status} ${anonymous.cache} ${anonymous.body}`).toMatch(/^401 /);
    },
  );
});

/** An access-control `onRequest` hook added by a module of the app, between two page caches. */
@Injectable()
class TokenHook implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}
  onModuleInit(): void {
    (this.host.httpAdapter.getInstance() as unknown as Hooked).addHook(
      'onRequest',
      async (req, reply) => {
        if (req.headers['x-token'] !== 'secret') return reply.code(401).send({ error: 'no' });
      },
    );
  }
}

@Module({ providers: [TokenHook] })
class TokenHookModule {}

/** The default page cache, the access hook, then a named cache: three onRequest hooks. */
@Module({
  imports: [
    EventEmitterModule.forRoot(),
    CacheModule.forRoot({ redis: redisUrl(), keyPrefix: uniquePrefix('hooks_a'), isGlobal: true }),
    TokenHookModule,
    CacheModule.forRoot({
      redis: redisUrl(),
      keyPrefix: uniquePrefix('hooks_b'),
      name: 'sessions',
    }),
  ],
  controllers: [ReportController],
})
class TwoCachesModule {}

@Controller()
class SchemaController {
  @Get('report')
  @CachePage('1h')
  @RouteSchema({
    headers: {
      type: 'object',
      required: ['x-api-key'],
      properties: { 'x-api-key': { const: 'secret' } },
    },
  })
  report() {
    return { report: 'internal numbers' };
  }
}

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    CacheModule.forRoot({ redis: redisUrl(), keyPrefix: uniquePrefix('hooks_schema') }),
  ],
  controllers: [SchemaController],
})
class SchemaModule {}

describe('early hits and what else Fastify runs before the handler', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it('an access hook between the early hooks of two page caches still refuses on a hit', async () => {
    app = await startApp('fastify', TwoCachesModule);
    expect((await rawRequest(app, '/report')).status).toBe(401);
    expect((await rawRequest(app, '/report', { 'x-token': 'secret' })).status).toBe(200);
    expect((await rawRequest(app, '/report', { 'x-token': 'secret' })).cache).toBe('HIT');
    expect((await rawRequest(app, '/report')).status).toBe(401);
  });

  it('a request failing the route schema (@RouteSchema) is refused after a valid one was cached', async () => {
    app = await startApp('fastify', SchemaModule);
    expect((await rawRequest(app, '/report')).status).toBe(400);
    expect((await rawRequest(app, '/report', { 'x-api-key': 'secret' })).status).toBe(200);
    expect((await rawRequest(app, '/report', { 'x-api-key': 'secret' })).cache).toBe('HIT');
    expect((await rawRequest(app, '/report')).status).toBe(400);
  });
});
