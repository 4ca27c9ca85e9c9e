import { Controller, Get, Module, Req } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CacheModule, CachePage, CacheService, type CacheModuleOptions } from 'nestjs-page-cache';
import { varnishPurge } from 'nestjs-page-cache/varnish';
import { PurgeReceiver } from '../fixtures/edge/purge-receiver.js';
import { startBehindVarnish } from '../support/behind-varnish.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { VarnishServer, varnishMissing } from '../support/varnish.js';

/** A page with an absolute link, built from the host and protocol the framework reports. */
@Controller('home')
class HomeController {
  @Get()
  @CachePage('1h')
  home(@Req() req: { protocol: string; hostname: string }): { canonical: string } {
    return { canonical: `${req.protocol}://${req.hostname}/home` };
  }
}

function homeModule(cache: CacheModuleOptions) {
  @Module({
    imports: [EventEmitterModule.forRoot(), CacheModule.forRoot(cache)],
    controllers: [HomeController],
  })
  class HomeModule {}
  return HomeModule;
}

/**
 * Behind a trusted proxy the page is keyed by the host and protocol the framework reports, which
 * come from `X-Forwarded-Host` and `X-Forwarded-Proto`; an edge files it under the URL and `Host`
 * it received. One request with a forged header must not decide the page everyone else gets from
 * the edge: a forwarded host that is not the `Host` gets no tags (`private`), and tagged pages vary
 * on `X-Forwarded-Proto`.
 */
describe.each(ADAPTERS)('edge tags behind a trusted proxy on %s', adapter => {
  let app: RunningApp;
  let receiver: PurgeReceiver;

  beforeEach(async () => {
    receiver = new PurgeReceiver();
    await receiver.start();
    const edge = { header: 'xkey' as const, purge: varnishPurge({ url: receiver.url }) };
    app = await startApp(
      adapter,
      homeModule({ redis: redisUrl(), keyPrefix: uniquePrefix('forwarded'), pages: { edge } }),
      undefined,
      { trustProxy: true },
    );
  });
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
    await receiver.stop();
  });

  it('gives no tags, and Cache-Control: private, to a page keyed by a forwarded host', async () => {
    for (let i = 0; i < 2; i++) {
      const forged = await app.get('/home', { headers: { 'x-forwarded-host': 'evil.example' } });
      expect(await forged.json()).toEqual({ canonical: 'http://evil.example/home' });
      expect(forged.headers.get('xkey')).toBeNull();
      expect(forged.headers.get('cache-control')).toBe('private');
    }
    // The Host's own page is tagged, on its miss and its hits, and varies on the protocol.
    for (const state of ['MISS', 'HIT', 'HIT']) {
      const page = await app.get('/home');
      expect(page.headers.get('x-cache')).toBe(state);
      expect(await page.json()).toEqual({ canonical: 'http://127.0.0.1/home' });
      expect(page.headers.get('xkey')).not.toBeNull();
      expect(page.headers.get('vary')).toBe('X-Forwarded-Proto');
    }
  });
});

const missing = varnishMissing();

describe.skipIf(missing !== undefined).each(ADAPTERS)(
  'forged X-Forwarded-* headers through Varnish on %s',
  adapter => {
    let app: RunningApp;
    let varnish: VarnishServer;

    beforeEach(async () => {
      ({ app, varnish } = await startBehindVarnish(
        module => startApp(adapter, module, undefined, { trustProxy: true }),
        edge =>
          homeModule({ redis: redisUrl(), keyPrefix: uniquePrefix('forwarded'), pages: { edge } }),
      ));
    }, 60_000);
    afterEach(async () => {
      await app?.app.get(CacheService).clear();
      await varnish?.remove();
      await app?.close();
    });

    it.each([
      ['x-forwarded-host', 'evil.example', 'http://evil.example/home'],
      ['x-forwarded-proto', 'https', 'https://127.0.0.1/home'],
    ])(
      'one request with a forged %s does not decide what the edge gives everyone',
      async (header, value, forgedLink) => {
        // The attacker, through the edge (twice: the second would be the edge's copy):
        for (let i = 0; i < 2; i++) {
          const forged = await fetch(`${varnish.url}/home`, { headers: { [header]: value } });
          expect(await forged.json()).toEqual({ canonical: forgedLink });
        }
        // A plain request through the same edge:
        for (let i = 0; i < 2; i++) {
          const victim = await fetch(`${varnish.url}/home`);
          expect(await victim.json()).toEqual({ canonical: 'http://127.0.0.1/home' });
        }
      },
    );
  },
);
