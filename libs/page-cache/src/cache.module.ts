import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigurableModuleClass } from './cache.module-definition.js';
import { cacheProviders } from './cache.providers.js';
import { CacheService } from './cache.service.js';
import { IndexJanitor } from './invalidation/index-janitor.js';
import { InvalidationListener } from './invalidation/invalidation.listener.js';
import { JournalDelivery } from './invalidation/journal-delivery.js';
import { ModelDeclarationsCheck } from './invalidation/model-declarations.check.js';
import { MethodCacheExplorer } from './methods/method-cache.explorer.js';
import { EarlyHitInstaller } from './pages/early/early-hit-installer.js';
import { CacheStore } from './stores/cache-store.interface.js';

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
    ...cacheProviders,
    CacheService,
    // The page interceptor (APP_INTERCEPTOR) is added by forRoot (see the `interceptor` extra).
    // Serves hits of safe routes before Nest's pipeline, through that interceptor.
    EarlyHitInstaller,
    InvalidationListener,
    // Delivers the invalidationJournal, when one is configured.
    JournalDelivery,
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
