import { Controller, Get, Injectable, Logger, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import {
  CacheModule,
  CachePage,
  CacheService,
  CacheStore,
  type CacheModuleOptions,
} from 'nestjs-page-cache';
import { MemoryStore } from '../libs/page-cache/src/stores/memory.store.js';
import { ADAPTERS, startApp } from './support/http-app.js';
import { redisUrl, uniquePrefix } from './support/redis.js';

@Injectable()
class CacheConfig {
  options(): CacheModuleOptions {
    return { redis: redisUrl(), keyPrefix: uniquePrefix('async'), ttl: '2m' };
  }
}

@Module({ providers: [CacheConfig], exports: [CacheConfig] })
class ConfigModule {}

async function boot(imports: unknown[]) {
  const module = await Test.createTestingModule({ imports: imports as never[] }).compile();
  await module.init();
  return module;
}

describe('CacheModule configuration', () => {
  it('forRootAsync with useFactory and inject', async () => {
    const module = await boot([
      CacheModule.forRootAsync({
        imports: [ConfigModule],
        inject: [CacheConfig],
        useFactory: (config: CacheConfig) => config.options(),
      }),
    ]);
    const cache = module.get(CacheService);
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
    expect(await cache.ttl('k')).toBeGreaterThan(60_000);
    await cache.clear();
    await module.close();
  });

  it('forRootAsync with useClass', async () => {
    @Injectable()
    class Factory {
      create(): CacheModuleOptions {
        return { store: 'memory', keyPrefix: 'cls' };
      }
    }
    const module = await boot([CacheModule.forRootAsync({ useClass: Factory })]);
    expect(module.get(CacheService).namespace).toBe('cls:1');
    await module.close();
  });

  it('isGlobal makes CacheService injectable in modules that do not import it', async () => {
    @Injectable()
    class Consumer {
      constructor(readonly cache: CacheService) {}
    }
    @Module({ providers: [Consumer] })
    class Feature {}
    const module = await boot([CacheModule.forRoot({ store: 'memory', isGlobal: true }), Feature]);
    expect(module.get(Consumer).cache).toBeInstanceOf(CacheService);
    await module.close();
  });

  it('accepts a CacheStore of the user, provided under the CacheStore token', async () => {
    const store = new MemoryStore();
    const module = await boot([CacheModule.forRoot({ store })]);
    await module.get(CacheService).set('mine', 1);
    expect(await store.get('cache:1:mine')).toBeDefined();
    expect(module.get(CacheStore)).toBeDefined();
    await module.close();
  });

  it('warns once that the default in-memory store is per process', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const module = await boot([CacheModule.forRoot({})]);
      const messages = warn.mock.calls.map(call => String(call[0]));
      expect(messages.filter(m => /in-memory store/.test(m))).toHaveLength(1);
      await module.close();
      warn.mockClear();
      const explicit = await boot([CacheModule.forRoot({ store: 'memory' })]);
      expect(warn.mock.calls.map(call => String(call[0])).filter(m => /in-memory/.test(m))).toEqual(
        [],
      );
      await explicit.close();
    } finally {
      warn.mockRestore();
    }
  });

  it('bumping version makes older entries unreachable', async () => {
    const keyPrefix = uniquePrefix('ver');
    const v1 = await boot([CacheModule.forRoot({ redis: redisUrl(), keyPrefix, version: 1 })]);
    await v1.get(CacheService).set('page', 'old');
    const v2 = await boot([CacheModule.forRoot({ redis: redisUrl(), keyPrefix, version: 2 })]);
    expect(await v2.get(CacheService).get('page')).toBeUndefined();
    await v1.get(CacheService).clear();
    await Promise.all([v1.close(), v2.close()]);
  });

  it.each<[string, CacheModuleOptions, RegExp]>([
    ['keyPrefix', { keyPrefix: '' }, /keyPrefix: ""/],
    ['keyPrefix with spaces', { keyPrefix: 'a b' }, /keyPrefix: "a b"/],
    ['version', { version: -1 }, /version: -1/],
    ['ttl', { ttl: '5 minutes' as never }, /ttl: "5 minutes"/],
    ['redis', { redis: 'localhost:6379' }, /redis: "localhost:6379".*redis:\/\//],
    ['store', { store: 'disk' as never }, /store: "disk".*'memory', 'none'/],
    ['both', { store: 'memory', redis: 'redis://x' }, /either redis .* or store/],
    ['maxEntrySize', { maxEntrySize: 0 }, /maxEntrySize: 0/],
    ['serializer', { serializer: {} as never }, /serializer/],
    ['defaultModels', { defaultModels: ['bad*'] }, /defaultModels entry: "bad\*"/],
    ['breaker', { breaker: { failures: 0 } }, /breaker.failures: 0/],
    ['name', { name: 'a b' } as never, /CacheModule name: "a b"/],
  ])('fails at startup on a bad %s, naming it', async (_label, options, message) => {
    await expect(
      (async () => {
        const module = await boot([CacheModule.forRoot(options)]);
        await module.close();
      })(),
    ).rejects.toThrow(message);
  });
});

describe('CacheModule refuses option names it does not take', () => {
  it.each<[string, object, string]>([
    ['keyprefix', { keyprefix: 'x' }, "'keyprefix' (did you mean 'keyPrefix'?)"],
    ['pages.ttll', { pages: { ttll: '5m' } }, "'pages.ttll' (did you mean 'pages.ttl'?)"],
    [
      'pages.earlyRefresh.bta',
      { pages: { earlyRefresh: { bta: 1 } } },
      "'pages.earlyRefresh.bta' (did you mean 'pages.earlyRefresh.beta'?)",
    ],
    [
      'near.maxEntries',
      { near: { maxEntries: 10 } },
      "'near.maxEntries' (near takes maxBytes, lease)",
    ],
  ])('forRoot: %s fails at compile, naming it', async (_label, options, message) => {
    await expect(
      Test.createTestingModule({
        imports: [CacheModule.forRoot({ store: 'memory', ...options } as CacheModuleOptions)],
      }).compile(),
    ).rejects.toThrow(message);
  });

  it('near without redis fails at compile, naming it', async () => {
    await expect(
      Test.createTestingModule({
        imports: [CacheModule.forRoot({ store: 'memory', near: true })],
      }).compile(),
    ).rejects.toThrow(/CacheModule option near: it needs redis .* store is 'memory'/);
  });

  it('forRootAsync: what the factory resolves with is checked the same way', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          CacheModule.forRootAsync({
            useFactory: async () =>
              ({ store: 'memory', pages: { ttll: '5m' } }) as CacheModuleOptions,
          }),
        ],
      }).compile(),
    ).rejects.toThrow("Unknown CacheModule option 'pages.ttll' (did you mean 'pages.ttl'?).");
    await expect(
      Test.createTestingModule({
        imports: [
          CacheModule.forRootAsync({
            useFactory: () => ({ store: 'memory', isGlobal: true }) as CacheModuleOptions,
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/'isGlobal' \(give it to CacheModule\.forRootAsync\(\) itself/);
  });
});

@Controller()
class PageController {
  @Get('page')
  @CachePage()
  page() {
    return 'page';
  }
}

describe.each(ADAPTERS)('an app with a misspelt CacheModule option on %s', adapter => {
  it.each([
    ['forRoot', (options: object) => CacheModule.forRoot(options as CacheModuleOptions)],
    [
      'forRootAsync',
      (options: object) =>
        CacheModule.forRootAsync({ useFactory: async () => options as CacheModuleOptions }),
    ],
  ])('fails to start through %s, and writes nothing', async (_label, cacheModule) => {
    const keyPrefix = uniquePrefix('misspelt');
    @Module({
      imports: [
        cacheModule({ redis: redisUrl(), keyPrefix, pages: { grace: '1m', erlyRefresh: {} } }),
      ],
      controllers: [PageController],
    })
    class AppModule {}
    await expect(startApp(adapter, AppModule)).rejects.toThrow(
      "Unknown CacheModule option 'pages.erlyRefresh' (did you mean 'pages.earlyRefresh'?).",
    );
    const redis = new Redis(redisUrl());
    try {
      expect(await redis.keys(`${keyPrefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
