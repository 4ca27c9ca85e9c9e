import { Controller, Get, Module, Req } from '@nestjs/common';
import {
  CacheModule,
  CachePage,
  CacheService,
  PageCacheInterceptor,
  type PageHit,
  type PageRequest,
} from 'nestjs-page-cache';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

/** A tenant's page: what the handler answers a request with (no tenant: the public page). */
const tenantOf = (request: PageRequest) => {
  const tenant = request.headers['x-tenant'];
  return typeof tenant === 'string' && tenant !== '' ? tenant : undefined;
};

@Controller('tenanted')
class TenantedController {
  @Get('home')
  @CachePage('1m')
  home(@Req() request: PageRequest) {
    return { tenant: tenantOf(request) ?? 'public' };
  }
}

/**
 * The docs' extension: `super.locate()`, with the tenant added to its key when there is one, and
 * its own record of hits; installed with the `interceptor` extra.
 */
class TenantInterceptor extends PageCacheInterceptor {
  static hits: PageHit[] = [];

  protected override locate(policy: never, request: PageRequest) {
    const location = super.locate(policy, request);
    const tenant = tenantOf(request);
    if ('bypass' in location || tenant === undefined) return location;
    location.key = `${location.key}:tenant:${tenant}`;
    return location;
  }

  protected override onHit(hit: PageHit): void {
    super.onHit(hit);
    TenantInterceptor.hits.push(hit);
  }
}

@Module({
  imports: [
    CacheModule.forRoot({
      store: 'memory',
      pages: { unkeyedInputs: 'off' },
      interceptor: TenantInterceptor,
    }),
  ],
  controllers: [TenantedController],
})
class TenantedModule {}

@Module({
  imports: [
    CacheModule.forRootAsync({
      useFactory: () => ({ store: 'memory' as const, pages: { unkeyedInputs: 'off' as const } }),
      interceptor: TenantInterceptor,
    }),
  ],
  controllers: [TenantedController],
})
class TenantedAsyncModule {}

describe.each(ADAPTERS)(
  'a PageCacheInterceptor subclass given as `interceptor`, on %s',
  adapter => {
    describe.each([
      ['forRoot', TenantedModule],
      ['forRootAsync', TenantedAsyncModule],
    ])('with %s', (_, module) => {
      let app: RunningApp;
      beforeAll(async () => {
        TenantInterceptor.hits = [];
        app = await startApp(adapter, module);
      });
      afterAll(() => app.close());

      it("serves no tenant's page to a request of another tenant, or of none", async () => {
        for (const round of [1, 2]) {
          for (const tenant of ['acme', 'globex', undefined]) {
            const headers: Record<string, string> = tenant ? { 'x-tenant': tenant } : {};
            const answer = await rawRequest(app, '/tenanted/home', headers);
            expect(JSON.parse(answer.body), `round ${round}, tenant ${tenant}`).toEqual({
              tenant: tenant ?? 'public',
            });
            if (round === 2) expect(answer.headers['x-cache']).toBe('HIT');
          }
        }
      });

      it('is the only page interceptor: each hit is counted once, by it', () => {
        expect(TenantInterceptor.hits).toHaveLength(3);
        expect(app.app.get(CacheService).stats().pages.hits).toBe(3);
      });
    });
  },
);

/** A `locate()` that builds its whole key itself, from the path alone. */
class OwnKeyInterceptor extends PageCacheInterceptor {
  protected override locate(_policy: never, request: PageRequest) {
    return { key: `own-key:${request.url}`, deps: [] };
  }
}

@Module({
  imports: [
    CacheModule.forRoot({
      store: 'memory',
      pages: { unkeyedInputs: 'off' },
      interceptor: OwnKeyInterceptor,
    }),
  ],
  controllers: [TenantedController],
})
class OwnKeyModule {}

describe.each(ADAPTERS)('a locate() override that keys requests itself, on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, OwnKeyModule, undefined, { trustProxy: true });
  });
  afterAll(() => app.close());

  it('still never answers or stores a request whose forwarded protocol is made up', async () => {
    for (const round of [1, 2]) {
      const answer = await rawRequest(app, '/tenanted/home', { 'x-forwarded-proto': 'gopher' });
      expect(answer.headers['x-cache'], `round ${round}`).toBe('BYPASS');
    }
    await rawRequest(app, '/tenanted/home', { 'x-forwarded-proto': 'https' });
    const https = await rawRequest(app, '/tenanted/home', { 'x-forwarded-proto': 'https' });
    expect(https.headers['x-cache']).toBe('HIT');
  });
});

describe('the interceptor extra', () => {
  it('refuses at startup a class that does not extend PageCacheInterceptor, naming it', () => {
    class NotAnInterceptor {}
    expect(() => CacheModule.forRoot({ store: 'memory', interceptor: NotAnInterceptor })).toThrow(
      /interceptor must be PageCacheInterceptor or a class that extends it, got class NotAnInterceptor/,
    );
  });
});
