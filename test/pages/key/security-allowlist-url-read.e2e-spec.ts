/**
 * A route with a `query` allowlist whose render reads the URL as sent (`req.originalUrl`, to build
 * a canonical or "share" link): once the route is keyed as sent, its whole target is keyed, so a
 * page rendered for `?page=1&ref=<an attacker's>` never reaches `?page=1`.
 */
import { Controller, Get, Module, Query, Req, type DynamicModule } from '@nestjs/common';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

@Controller('articles')
class ArticlesController {
  @Get()
  @CachePage({ ttl: '1m', query: ['page'] })
  list(@Query('page') page = '1', @Req() req: { originalUrl?: string; url: string }) {
    // A share link of the page as requested (framework-agnostic: Fastify has originalUrl too).
    return { page, share: `https://shop.test${req.originalUrl ?? req.url}` };
  }
}

function appModule(name?: string): DynamicModule {
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: name ? [pageCache(name, { pages: { unkeyedInputs: 'off' } })] : [],
    controllers: [ArticlesController],
  };
}

describe.each(ADAPTERS)('allowlisted route reading the URL, on %s', adapter => {
  let app: RunningApp;
  let twin: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, appModule(`key-allowlist-${adapter}`));
    twin = await startApp(adapter, appModule());
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
    await twin.close();
  });

  it("never serves a page rendered for another URL's unlisted parameters", async () => {
    await rawRequest(app, '/articles?page=1&utm_source=x'); // flips the route to raw keys
    await rawRequest(app, '/articles?page=1&next=https://evil.test/phish'); // stored
    const victim = await rawRequest(app, '/articles?page=1');
    const expected = await rawRequest(twin, '/articles?page=1');
    expect([victim.status, victim.body], `X-Cache ${victim.cache}`).toEqual([
      expected.status,
      expected.body,
    ]);
  });
});
