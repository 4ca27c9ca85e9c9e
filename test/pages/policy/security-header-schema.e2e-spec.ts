/**
 * A Fastify route schema that validates request headers refuses requests (400) before the
 * handler, on hits too: such pages are not given to an edge, which would answer requests the app
 * refuses.
 */
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import {
  ANY_EDGE,
  PUBLIC_CACHE_CONTROL,
  startBehindVarnish,
} from '../../support/behind-varnish.js';
import { rawRequest, startApp, type RunningApp } from '../../support/http-app.js';
import { VarnishServer, varnishMissing } from '../../support/varnish.js';

@Controller('partner')
class PartnerController {
  @Get('prices')
  @RouteSchema({
    headers: {
      type: 'object',
      required: ['x-partner-key'],
      properties: { 'x-partner-key': { type: 'string', enum: ['k-acme'] } },
    },
  })
  @CachePage('1m')
  prices() {
    return { prices: 'partner net prices' };
  }
}

function partnerModule(name: string, pages: object): DynamicModule {
  @Module({})
  class PartnerModule {}
  return {
    module: PartnerModule,
    imports: [pageCache(name, { pages })],
    controllers: [PartnerController],
  };
}

const edge = ANY_EDGE;
const PUBLIC = PUBLIC_CACHE_CONTROL;

describe('a Fastify schema that validates headers', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app?.app.get(CacheService).clear();
    await app?.close();
  });

  it('the app itself refuses a request without the header, on hits too', async () => {
    app = await startApp('fastify', partnerModule('key-schema', { edge, cacheControl: PUBLIC }));
    for (const expected of ['MISS', 'HIT']) {
      const page = await rawRequest(app, '/partner/prices', { 'x-partner-key': 'k-acme' });
      expect([page.status, page.cache]).toEqual([200, expected]);
    }
    expect((await rawRequest(app, '/partner/prices')).status).toBe(400);
  });

  it('gives its page neither edge tags nor public', async () => {
    app = await startApp('fastify', partnerModule('key-schema', { edge, cacheControl: PUBLIC }));
    const page = await rawRequest(app, '/partner/prices', { 'x-partner-key': 'k-acme' });
    expect(page.status).toBe(200);
    expect(page.headers['surrogate-key']).toBeUndefined();
    expect(page.headers['cache-control']).toBe('private, max-age=30');
  });
});

describe.skipIf(varnishMissing() !== undefined)('… through Varnish', () => {
  let app: RunningApp;
  let varnish: VarnishServer;
  beforeEach(async () => {
    ({ app, varnish } = await startBehindVarnish(
      module => startApp('fastify', module),
      edge => partnerModule('key-schema-varnish', { edge }),
    ));
  }, 60_000);
  afterEach(async () => {
    await app?.app.get(CacheService).clear();
    await varnish?.remove();
    await app?.close();
  });

  it('the edge refuses what the app refuses', async () => {
    const partner = await fetch(`${varnish.url}/partner/prices`, {
      headers: { 'x-partner-key': 'k-acme' },
    });
    expect(partner.status).toBe(200);
    const stranger = await fetch(`${varnish.url}/partner/prices`);
    const body = await stranger.text();
    expect(
      [stranger.status, body.includes('net prices')],
      `X-Cache ${stranger.headers.get('x-cache')}`,
    ).toEqual([400, false]);
  });
});
