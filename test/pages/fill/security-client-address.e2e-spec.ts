/**
 * `@Ip()` (req.ip) on Fastify without trustProxy is read from the socket, with no header: the
 * unkeyed-input detector still sees the read, so with `pages.unkeyedInputs: 'bypass'` a page built
 * from the client's address is not stored.
 */
import { Controller, Get, Ip, Module, type DynamicModule } from '@nestjs/common';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

@Controller('geo')
class GeoController {
  @Get()
  @CachePage('1m')
  show(@Ip() ip: string) {
    return { region: ip === '127.0.0.2' ? 'EU prices' : 'US prices', ip };
  }
}

function appModule(name: string): DynamicModule {
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: [pageCache(name, { pages: { unkeyedInputs: 'bypass' } })],
    controllers: [GeoController],
  };
}

describe('@Ip() with unkeyedInputs: bypass, on fastify', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp('fastify', appModule('key-ip'));
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it('does not store a page built from an input outside its key', async () => {
    await rawRequest(app, '/geo');
    const again = await rawRequest(app, '/geo');
    expect(again.cache, 'a page read from req.ip was stored').not.toBe('HIT');
  });
});
