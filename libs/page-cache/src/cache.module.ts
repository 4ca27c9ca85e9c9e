import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule, ModuleRef, ModulesContainer } from '@nestjs/core';
import { CACHE_NAME } from './cache.constants.js';
import { CacheStatistics } from './cache-statistics.js';
import { CACHE_OPTIONS } from './cache.constants.js';
import { CACHE_MODULE_OPTIONS, ConfigurableModuleClass } from './cache.module-definition.js';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';
import { resolveCacheOptions, type ResolvedCacheOptions } from './cache.options.js';
import { CacheService } from './cache.service.js';
import { EdgePurger } from './edge/edge-purger.js';
import { ModelDeclarationsCheck, modelNamesOf } from './invalidation/model-declarations.check.js';
import { ModelNames } from './invalidation/model-names.js';
import { IndexJanitor } from './invalidation/index-janitor.js';
import { InvalidatesInterceptor } from './invalidation/invalidates.interceptor.js';
import { InvalidationListener } from './invalidation/invalidation.listener.js';
import { JournalDelivery } from './invalidation/journal-delivery.js';
import { MethodCacheExplorer } from './methods/method-cache.explorer.js';
import { EarlyHitInstaller } from './pages/early/early-hit-installer.js';
import { PageCacheInterceptor } from './pages/page-cache.interceptor.js';
import { CacheStore } from './stores/cache-store.interface.js';
import { createStore } from './stores/create-store.js';
import { ResilientStore } from './stores/resilient.store.js';

/**
 * Page and value caching on Redis or in memory.
 *
 * ```ts
 * CacheModule.forRoot({ redis: process.env.REDIS_URL, ttl: '5m', isGlobal: true })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: CACHE_OPTIONS,
      inject: [CACHE_MODULE_OPTIONS],
      useFactory: (options: CacheModuleOptions) => resolveCacheOptions(options),
    },
    {
      provide: CacheStore,
      inject: [CACHE_OPTIONS, CACHE_MODULE_OPTIONS],
      useFactory: (resolved: ResolvedCacheOptions, options: CacheModuleOptions) =>
        createStore(resolved, new Logger('CacheModule'), options.memory),
    },
    {
      provide: CacheStatistics,
      inject: [ModuleRef, CacheStore, CACHE_NAME, CACHE_OPTIONS],
      useFactory: (
        moduleRef: ModuleRef,
        store: CacheStore,
        name: string,
        options: ResolvedCacheOptions,
      ) =>
        new CacheStatistics(
          moduleRef,
          options.statistics,
          name,
          store instanceof ResilientStore ? store : undefined,
        ),
    },
    CacheService,
    // Purges the edge cache (pages.edge.purge) after each invalidation.
    EdgePurger,
    // Global, so that @CachePage needs no @UseInterceptors and site-wide mode reaches every
    // handler; it leaves handlers without page caching alone.
    { provide: APP_INTERCEPTOR, useClass: PageCacheInterceptor },
    // Serves hits of safe routes before Nest's pipeline, through that interceptor.
    EarlyHitInstaller,
    InvalidationListener,
    // Delivers the invalidationJournal, when one is configured.
    JournalDelivery,
    // Applied by the page cache interceptor to mutations (POST, PUT, PATCH, DELETE).
    InvalidatesInterceptor,
    // Names of models checked against the app's entities (startup, and getOrSet/set at runtime).
    { provide: ModelNames, inject: [ModuleRef, ModulesContainer], useFactory: modelNamesOf },
    ModelDeclarationsCheck,
    IndexJanitor,
    // Wraps @Cached and @Invalidates methods of providers at startup.
    MethodCacheExplorer,
  ],
})
export class CacheModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(CacheStore) private readonly store: CacheStore) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close?.();
  }
}
