import { Inject, Injectable, Module } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import {
  Cached,
  CacheModule,
  CacheService,
  getCacheToken,
  InjectCache,
  Invalidates,
  type CacheService as Cache,
} from 'nestjs-page-cache';
import {
  BothService,
  CachedRouteController,
  EventAndInvalidatesService,
  misuseModule,
  PlainPromiseService,
  received,
  RequestScopedService,
  RouteParamService,
  SyncService,
  TransientService,
  UnknownCacheService,
} from '../fixtures/methods/misuse.fixture.js';
import { ADAPTERS, startApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

describe.each(ADAPTERS)('@Cached and @Invalidates at startup on %s', adapter => {
  it.each([
    [{ providers: [SyncService] }, /@Cached SyncService\.total: the method is not async/],
    [{ providers: [PlainPromiseService] }, /@Cached PlainPromiseService\.total: .*not async/],
    [
      { providers: [RequestScopedService] },
      /@Cached RequestScopedService\.total: the provider is request-scoped/,
    ],
    [
      { providers: [TransientService] },
      /@Invalidates TransientService\.save: the provider is transient/,
    ],
    [
      { controllers: [CachedRouteController] },
      /@Cached on the controller method CachedRouteController\.list.*@CachePage/,
    ],
    [
      { providers: [UnknownCacheService] },
      /@Cached UnknownCacheService\.total names the cache "nowhere", which is not registered/,
    ],
    [
      { providers: [RouteParamService] },
      /@Invalidates on RouteParamService\.save: \{ model, id \} reads a route parameter.*idFrom/,
    ],
    [{ providers: [BothService] }, /BothService\.readAndWrite has both @Cached and @Invalidates/],
  ])('refuses %o, naming the method', async (kind, message) => {
    await expect(startApp(adapter, misuseModule(kind))).rejects.toThrow(message);
  });

  it('keeps the metadata of a wrapped method: @OnEvent on an @Invalidates method still fires', async () => {
    received.length = 0;
    const app = await startApp(adapter, misuseModule({ providers: [EventAndInvalidatesService] }));
    try {
      const cache = app.app.get(CacheService);
      await app.app.get(EventEmitter2).emitAsync('price.imported', { sku: 'apple' });
      expect(received).toEqual(['apple']);
      expect(cache.stats().invalidations.count).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('caches in the named cache a method names, and invalidates every cache', async () => {
    let runs = 0;
    @Injectable()
    class ReportService {
      @Cached({ cache: 'reports', models: ['Sale'] })
      async report(year: number): Promise<{ year: number; run: number }> {
        return { year, run: ++runs };
      }

      @Invalidates('Sale')
      async recordSale(): Promise<void> {}
    }
    @Injectable()
    class Probe {
      constructor(@InjectCache('reports') readonly reports: Cache) {}
    }
    @Module({
      imports: [
        EventEmitterModule.forRoot(),
        CacheModule.forRoot({ redis: redisUrl(), keyPrefix: uniquePrefix('methods_default') }),
        CacheModule.forRoot({
          name: 'reports',
          redis: redisUrl(),
          keyPrefix: uniquePrefix('methods_reports'),
        }),
      ],
      providers: [ReportService, Probe],
    })
    class ReportsModule {}
    const app = await startApp(adapter, ReportsModule);
    try {
      const service = app.app.get(ReportService);
      const reports = app.app.get(Probe).reports;
      expect(await service.report(2026)).toEqual({ year: 2026, run: 1 });
      expect(await service.report(2026)).toEqual({ year: 2026, run: 1 });
      expect(reports.stats().methods['ReportService.report']).toMatchObject({ hits: 1, misses: 1 });
      expect(app.app.get(getCacheToken()).stats().methods).toEqual({});
      await app.app.get(EventEmitter2).emitAsync('entity.saved', { model: 'Sale' });
      expect(await service.report(2026)).toEqual({ year: 2026, run: 2 });
      // @Invalidates on a provider method reaches the named cache too.
      await service.recordSale();
      expect(await service.report(2026)).toEqual({ year: 2026, run: 3 });
      expect(await service.report(2026)).toEqual({ year: 2026, run: 3 });
    } finally {
      await app.close();
    }
  });

  describe('a class provided more than once', () => {
    /** One class, two instances with different configuration (a client per region). */
    @Injectable()
    class RatesClient {
      runs = 0;
      constructor(@Inject('REGION') readonly region: string) {}

      @Cached({ ttl: '1h' })
      async rate(currency: string): Promise<string> {
        this.runs += 1;
        return `${this.region}:${currency}`;
      }
    }
    @Injectable()
    class KeyedRatesClient extends RatesClient {
      quotes = 0;

      @Cached({
        key(this: KeyedRatesClient, currency: string) {
          return `rates:${this.region}:${currency}`;
        },
        models(this: KeyedRatesClient, currency: string) {
          return [{ model: 'Rate', id: `${this.region}-${currency}` }];
        },
      })
      async quote(currency: string): Promise<string> {
        this.quotes += 1;
        return `${this.region}:${currency}`;
      }
    }
    const cacheModule = () =>
      CacheModule.forRoot({ redis: redisUrl(), keyPrefix: uniquePrefix('methods_instances') });

    it("keys each instance by its own provider token: no instance gets the other's results", async () => {
      @Module({
        imports: [EventEmitterModule.forRoot(), cacheModule()],
        providers: [
          { provide: 'EU_RATES', useFactory: () => new RatesClient('eu') },
          { provide: 'US_RATES', useFactory: () => new RatesClient('us') },
          { provide: 'EU_QUOTES', useFactory: () => new KeyedRatesClient('eu') },
          { provide: 'US_QUOTES', useFactory: () => new KeyedRatesClient('us') },
        ],
      })
      class RegionsModule {}
      const app = await startApp(adapter, RegionsModule);
      try {
        const eu = app.app.get<RatesClient>('EU_RATES');
        const us = app.app.get<RatesClient>('US_RATES');
        expect(await eu.rate('USD')).toBe('eu:USD');
        expect(await us.rate('USD')).toBe('us:USD');
        expect(await eu.rate('USD')).toBe('eu:USD');
        expect([eu.runs, us.runs]).toEqual([1, 1]);
        const cache = app.app.get(CacheService);
        expect(Object.keys(cache.stats().methods).sort()).toEqual([
          'RatesClient["EU_RATES"].rate',
          'RatesClient["US_RATES"].rate',
        ]);
        // A key function is called with the instance as `this`, and tells them apart itself.
        const euQuotes = app.app.get<KeyedRatesClient>('EU_QUOTES');
        const usQuotes = app.app.get<KeyedRatesClient>('US_QUOTES');
        expect(await euQuotes.quote('CHF')).toBe('eu:CHF');
        expect(await usQuotes.quote('CHF')).toBe('us:CHF');
        expect(await cache.get('rates:us:CHF')).toBe('us:CHF');
        // So is the models function: a save of the US rate clears the US quote only.
        await cache.invalidate('Rate', 'us-CHF');
        expect(await usQuotes.quote('CHF')).toBe('us:CHF');
        expect(await euQuotes.quote('CHF')).toBe('eu:CHF');
        expect([euQuotes.quotes, usQuotes.quotes]).toEqual([1, 2]);
      } finally {
        await app.close();
      }
    });

    it('refuses instances its provider tokens cannot tell apart, naming the class and where', async () => {
      @Module({
        providers: [{ provide: 'REGION', useValue: 'eu' }, RatesClient],
        exports: [RatesClient],
      })
      class EuModule {}
      @Module({
        providers: [{ provide: 'REGION', useValue: 'us' }, RatesClient],
        exports: [RatesClient],
      })
      class UsModule {}
      @Module({ imports: [EventEmitterModule.forRoot(), cacheModule(), EuModule, UsModule] })
      class TwiceModule {}
      await expect(startApp(adapter, TwiceModule)).rejects.toThrow(
        /@Cached RatesClient\.rate: the class is provided 2 times \(RatesClient in EuModule, RatesClient in UsModule\).*share their cached results/,
      );
    });
  });
});
