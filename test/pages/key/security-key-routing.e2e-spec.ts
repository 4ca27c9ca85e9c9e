/**
 * Keys merge only spellings the router reads alike: a %-escaped literal segment that Express
 * routes to another pattern of the same handler, and a host spelling Nest's host filter hands to
 * @HostParam() as sent, each keep their own entry.
 */
import { Controller, Get, HostParam, Module, Param, type DynamicModule } from '@nestjs/common';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

/** One handler, two paths: a literal one and a parameter one (Nest docs: `@Get(['a', 'b'])`). */
@Controller('docs')
class DocsController {
  @Get(['latest', ':version'])
  @CachePage('1m')
  page(@Param('version') version?: string) {
    return version === undefined
      ? { docs: 'latest release notes (3.2)' }
      : { docs: `release notes of version ${version}` };
  }
}

/** Host routing: the tenant comes from the Host header through Nest's host filter. */
@Controller({ host: ':tenant.shop.test', path: 'site' })
class SiteController {
  @Get('home')
  @CachePage('1m')
  home(@HostParam('tenant') tenant: string) {
    return { tenant };
  }
}

function routingModule(name: string): DynamicModule {
  @Module({})
  class RoutingModule {}
  return {
    module: RoutingModule,
    imports: [pageCache(name)],
    controllers: [DocsController, SiteController],
  };
}

function twinModule(): DynamicModule {
  @Module({})
  class TwinModule {}
  return { module: TwinModule, controllers: [DocsController, SiteController] };
}

describe.each(ADAPTERS)('canonical keys vs routing, on %s', adapter => {
  let app: RunningApp;
  let twin: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, routingModule(`key-canonical-${adapter}`));
    twin = await startApp(adapter, twinModule());
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
    await twin.close();
  });
  afterEach(async () => app.app.get(CacheService).clear());

  it('a %-escaped literal segment (routed to the :param path by Express) does not poison the literal path', async () => {
    const poison = await rawRequest(app, '/docs/%6Catest');
    expect(poison.status).toBe((await rawRequest(twin, '/docs/%6Catest')).status);
    const victim = await rawRequest(app, '/docs/latest');
    const expected = await rawRequest(twin, '/docs/latest');
    expect([victim.status, victim.body]).toEqual([expected.status, expected.body]);
  });

  it('a host letter case (kept by Nest host filter in @HostParam) does not poison the lower-case host', async () => {
    const poison = await rawRequest(app, '/site/home', { host: 'ACME.shop.test' });
    expect(poison.status).toBe(200);
    const victim = await rawRequest(app, '/site/home', { host: 'acme.shop.test' });
    const expected = await rawRequest(twin, '/site/home', { host: 'acme.shop.test' });
    expect([victim.status, victim.body], `X-Cache ${victim.cache}`).toEqual([
      expected.status,
      expected.body,
    ]);
  });
});
