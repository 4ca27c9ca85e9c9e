/**
 * A Fastify route constraint (`@RouteConstraints` with a custom find-my-way strategy on a
 * header) picks the handler by a header, like Nest's header versioning: such pages are neither
 * tagged for an edge nor sent public, and through Varnish each tenant gets its own page.
 */
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { FastifyAdapter, RouteConstraints } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CacheService, CachePage, type EdgeCacheOptions } from 'nestjs-page-cache';
import { pageCache } from './fixtures/pages/cache-import.js';
import { varnishPurge } from 'nestjs-page-cache/varnish';
import { SHIPPED_VCL } from './support/behind-varnish.js';
import { freePort } from './support/free-port.js';
import { rawRequest, type RunningApp } from './support/http-app.js';
import { VarnishServer, varnishMissing } from './support/varnish.js';

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

/**
 * A custom find-my-way constraint strategy: the handler is chosen by the X-Tenant header
 * (https://fastify.dev/docs/latest/Reference/Routes/#constraints).
 */
const tenantStrategy = {
  name: 'tenant',
  storage() {
    const handlers = new Map<string, unknown>();
    return {
      get: (value: string) => handlers.get(value) ?? null,
      set: (value: string, store: unknown) => void handlers.set(value, store),
    };
  },
  deriveConstraint: (request: { headers: Record<string, unknown> }) =>
    String(request.headers['x-tenant'] ?? ''),
  mustMatchWhenDerived: true,
  validate: () => true,
};

/** startApp for Fastify with the tenant constraint strategy. */
async function startConstrained(module: DynamicModule): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication(
    new FastifyAdapter({ constraints: { tenant: tenantStrategy } } as never),
    { logger: ['error', 'warn'] },
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, url, get: (path, init) => fetch(`${url}${path}`, init), close: () => app.close() };
}

const edge = { header: 'Surrogate-Key' as const, purge: async () => undefined };
const PUBLIC = 'public, max-age=30, s-maxage=600';

describe('Fastify route constraints (a header picks the handler)', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app?.app.get(CacheService).clear();
    await app?.close();
  });

  it('gives a header-selected page neither edge tags nor public', async () => {
    app = await startConstrained(
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
    const varnishPort = await freePort();
    const e: EdgeCacheOptions = {
      header: 'xkey',
      purge: varnishPurge({ url: `http://127.0.0.1:${varnishPort}/` }),
    };
    app = await startConstrained(constrainedModule('key-constraints-varnish', { edge: e }));
    varnish = new VarnishServer(SHIPPED_VCL, varnishPort, Number(new URL(app.url).port));
    await varnish.start();
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
