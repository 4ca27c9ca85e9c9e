/**
 * `req.rawHeaders` and `req.headersDistinct` carry the Host as sent, which the canonical key
 * merges (lower case, default port): a handler that reads them has its route keyed as sent, in
 * every `pages.unkeyedInputs` mode, `'off'` (the production default) included.
 */
import { Controller, Get, Module, Req, type DynamicModule } from '@nestjs/common';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

/** Node's message on Express, Fastify's `raw` on Fastify. */
const message = (request: { raw?: unknown }) =>
  (request.raw ?? request) as { rawHeaders: string[]; headersDistinct: Record<string, string[]> };

@Controller('links')
class LinksController {
  @Get('raw')
  @CachePage('1m')
  raw(@Req() request: { raw?: unknown }) {
    const headers = message(request).rawHeaders;
    const host = headers[headers.findIndex(name => name.toLowerCase() === 'host') + 1];
    return { self: `http://${host}/links/raw` };
  }

  @Get('distinct')
  @CachePage('1m')
  distinct(@Req() request: { raw?: unknown }) {
    return { self: `http://${message(request).headersDistinct.host?.[0]}/links/distinct` };
  }
}

function linksModule(name: string): DynamicModule {
  @Module({})
  class LinksModule {}
  return {
    module: LinksModule,
    imports: [pageCache(name, { pages: { unkeyedInputs: 'off' } })],
    controllers: [LinksController],
  };
}

describe.each(ADAPTERS)(
  "the Host as sent, read past req.headers with unkeyedInputs 'off', on %s",
  adapter => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp(adapter, linksModule(`key-rawheaders-${adapter}`));
    });
    afterAll(async () => {
      await app.app.get(CacheService).clear();
      await app.close();
    });

    it.each(['raw', 'distinct'])(
      '/links/%s: a spelling of the host does not reach another spelling',
      async route => {
        const poison = await rawRequest(app, `/links/${route}`, { host: 'EXAMPLE.com:80' });
        expect(poison.body).toContain('EXAMPLE.com:80');
        const victim = await rawRequest(app, `/links/${route}`, { host: 'example.com' });
        expect(victim.body, `X-Cache ${victim.cache}`).toBe(
          `{"self":"http://example.com/links/${route}"}`,
        );
      },
    );
  },
);
