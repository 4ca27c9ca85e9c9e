/**
 * A Fastify route constraint (`@RouteConstraints` with a custom find-my-way strategy on a
 * header) picks the handler by a header, like Nest's header versioning: such pages are neither
 * tagged for an edge nor sent public, and through Varnish each tenant gets its own page.
 */
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { RouteConstraints } from '@nestjs/platform-fastify';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import {
  ANY_EDGE,
  PUBLIC_CACHE_CONTROL,
  startBehindVarnish,
} from '../../support/behind-varnish.js';
import { rawRequest, type RunningApp } from '../../support/http-app.js';
import { startWithTenantConstraint } from '../../support/tenant-constraint.js';
import { VarnishServer, varnishMissing } from '../../support/varnish.js';

@Controller('items')
class ItemsController {
  @Get()
  @RouteConstraints({ tenant: 'acme' })
  @CachePage('1m')
  v1() {
    return { tenant: 'acme', secret: 'acme revenue: 42' };
  }

  @Get()
  @RouteConstraints({ tenant: 'globex' })
  @CachePage('1m')
  v2() {
    return { tenant: 'globex', secret: 'globex revenue: 7' };
  }
}

function constrainedModule(name: string, pages: object): DynamicModule {
  @Module({})
  class ConstrainedModule {}
  return {
    module: ConstrainedModule,
    imports: [pageCache(name, { pages })],
    controllers: [ItemsController],
  };
}

const edge = ANY_EDGE;
const PUBLIC = PUBLIC_CACHE_CONTROL;

describe('Fastify route constraints (a header picks the handler)', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app?.app.get(CacheService).clear();
    await app?.close();
  });

  it('gives a header-selected page neither edge tags nor public', async () => {
    app = await startWithTenantConstraint(
      constrainedModule('key-constraints', { edge, cacheControl: PUBLIC }),
    );
    for (const expected of ['MISS', 'HIT']) {
      const page = await rawRequest(app, '/items', { 'x-tenant': 'acme' });
      expect([page.status, page.cache, JSON.parse(page.body).tenant]).toEqual([
        200,
        expected,
        'acme',
      ]);
      expect(page.headers['surrogate-key']).toBeUndefined();
      expect(page.headers['cache-control']).toBe('private, max-age=30');
    }
  });
});

const missing = varnishMissing();

describe.skipIf(missing !== undefined)('Fastify route constraints through Varnish', () => {
  let app: RunningApp;
  let varnish: VarnishServer;
  beforeEach(async () => {
    ({ app, varnish } = await startBehindVarnish(startWithTenantConstraint, edge =>
      constrainedModule('key-constraints-varnish', { edge }),
    ));
  }, 60_000);
  afterEach(async () => {
    await app?.app.get(CacheService).clear();
    await varnish?.remove();
    await app?.close();
  });

  it('never hands one tenant the page of another (the header picked the handler)', async () => {
    for (const tenant of ['acme', 'globex', 'acme', 'globex']) {
      const answer = await fetch(`${varnish.url}/items`, { headers: { 'x-tenant': tenant } });
      expect(await answer.json(), `tenant ${tenant}`).toMatchObject({ tenant });
    }
  });
});
