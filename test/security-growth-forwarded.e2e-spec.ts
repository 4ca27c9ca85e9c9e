/**
 * With `pages.hosts` set and `trust proxy` / `trustProxy` on, a client must not multiply the
 * entries of one page through the forwarded headers: `X-Forwarded-Host` with a port that is not
 * listed, or an `X-Forwarded-Proto` other than http or https, creates nothing.
 */
import { Controller, Get, Module, Query, type DynamicModule } from '@nestjs/common';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from './fixtures/pages/cache-import.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from './support/http-app.js';

@Controller('catalog')
class CatalogController {
  @Get()
  @CachePage({ ttl: '1m', query: ['page'] })
  list(@Query('page') page = '1') {
    return { page, items: ['a', 'b'] };
  }
}

function appModule(name: string): DynamicModule {
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: [pageCache(name, { pages: { hosts: ['shop.test'] } })],
    controllers: [CatalogController],
  };
}

describe.each(ADAPTERS)('growth through forwarded headers, on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, appModule(`key-growth-${adapter}`), undefined, {
      trustProxy: true,
    });
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });
  afterEach(async () => app.app.get(CacheService).clear());

  it('an unlisted X-Forwarded-Host port creates nothing', async () => {
    const stored: string[] = [];
    for (const port of ['1', '2', '3', 'junk', '99999']) {
      const headers = { host: 'shop.test', 'x-forwarded-host': `shop.test:${port}` };
      await rawRequest(app, '/catalog?page=1', headers);
      const again = await rawRequest(app, '/catalog?page=1', headers);
      if (again.cache === 'HIT') stored.push(port);
    }
    expect(stored, 'ports that got an entry of their own').toEqual([]);
  });

  it('an arbitrary X-Forwarded-Proto creates nothing', async () => {
    const stored: string[] = [];
    for (const proto of ['a1', 'a2', 'a3', 'gopher']) {
      const headers = { host: 'shop.test', 'x-forwarded-proto': proto };
      await rawRequest(app, '/catalog?page=1', headers);
      const again = await rawRequest(app, '/catalog?page=1', headers);
      if (again.cache === 'HIT') stored.push(proto);
    }
    expect(stored, 'protocols that got an entry of their own').toEqual([]);
  });
});
