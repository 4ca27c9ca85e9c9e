import { Controller, Get, Module, Req } from '@nestjs/common';
import { CacheModule, CachePage, PageCacheInterceptor, type PageRequest } from 'nestjs-page-cache';
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

type Locate = (policy: unknown, request: PageRequest) => { key: string } | { bypass: string };
const prototype = PageCacheInterceptor.prototype as unknown as { locate: Locate };
const baseLocate = prototype.locate;

/**
 * The docs' extension of `locate()` (`super.locate()`, with the tenant added to its key when there
 * is one), installed on the interceptor the module provides.
 */
function tenantLocate(this: unknown, policy: unknown, request: PageRequest) {
  const location = baseLocate.call(this, policy, request);
  const tenant = tenantOf(request);
  if ('bypass' in location || tenant === undefined) return location;
  location.key = `${location.key}:tenant:${tenant}`;
  return location;
}

@Module({
  imports: [CacheModule.forRoot({ store: 'memory', pages: { unkeyedInputs: 'off' } })],
  controllers: [TenantedController],
})
class TenantedModule {}

describe.each(ADAPTERS)('an overridden locate() that adds to the key, on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    prototype.locate = tenantLocate;
    app = await startApp(adapter, TenantedModule);
  });
  afterAll(async () => {
    await app.close();
    prototype.locate = baseLocate;
  });

  it("serves no tenant's page to a request of another tenant, or of none", async () => {
    for (const round of [1, 2]) {
      for (const tenant of ['acme', 'globex', undefined]) {
        const headers: Record<string, string> = tenant ? { 'x-tenant': tenant } : {};
        const answer = await rawRequest(app, '/tenanted/home', headers);
        expect(JSON.parse(answer.body), `round ${round}, tenant ${tenant}`).toEqual({
          tenant: tenant ?? 'public',
        });
      }
    }
  });
});
