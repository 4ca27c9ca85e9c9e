import { Logger, type Provider } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { CacheStatistics } from './cache-statistics.js';
import { CACHE_NAME, CACHE_OPTIONS } from './cache.constants.js';
import { CACHE_MODULE_OPTIONS } from './cache.module-definition.js';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';
import { resolveCacheOptions, type ResolvedCacheOptions } from './cache.options.js';
import { DependencyTracker } from './dependency-tracker.js';
import { DistributedLock } from './distributed-lock.js';
import { EdgePurger } from './edge/edge-purger.js';
import { InvalidationPipeline } from './invalidation/invalidation-pipeline.js';
import { modelNamesOf } from './invalidation/model-declarations.check.js';
import { ModelNames } from './invalidation/model-names.js';
import { NearStore } from './near/near.store.js';
import { CacheStore } from './stores/cache-store.interface.js';
import { createStore } from './stores/create-store.js';
import { ResilientStore } from './stores/resilient.store.js';
import { CacheTelemetry } from './telemetry/cache-telemetry.js';
import { ValueEntries } from './values/value-entries.js';
import { ValueFills } from './values/value-fills.js';

/** The circuit breaker in front of the store, when the cache made one. */
function breakerOf(store: CacheStore): ResilientStore | undefined {
  const guarded = store instanceof NearStore ? store.inner : store;
  return guarded instanceof ResilientStore ? guarded : undefined;
}

/**
 * The core of one cache, as providers of its module (none of them exported): its options, store,
 * statistics, dependency tracker, invalidation pipeline, lock and single flight. `CacheService`,
 * the page cache and the integrations are built on them; each is made once per cache.
 */
export const cacheProviders: Provider[] = [
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
    useFactory: (moduleRef: ModuleRef, store: CacheStore, name: string, o: ResolvedCacheOptions) =>
      new CacheStatistics(
        moduleRef,
        o.statistics,
        name,
        breakerOf(store),
        store instanceof NearStore ? () => store.stats() : undefined,
      ),
  },
  {
    // Loads @opentelemetry/api when the app has it (and `telemetry` is not false).
    provide: CacheTelemetry,
    inject: [CACHE_OPTIONS, CACHE_NAME, CacheStatistics],
    useFactory: (options: ResolvedCacheOptions, name: string, statistics: CacheStatistics) =>
      CacheTelemetry.create(options.telemetry, name, statistics),
  },
  {
    provide: DependencyTracker,
    inject: [CacheStore, CACHE_OPTIONS],
    useFactory: (store: CacheStore, options: ResolvedCacheOptions) =>
      new DependencyTracker(store, options.namespace, options.generationTtlMs),
  },
  {
    // Every invalidation of this cache takes it: the service, events, outboxes, the CLI.
    provide: InvalidationPipeline,
    inject: [DependencyTracker, CacheStatistics, EdgePurger, CacheTelemetry],
    useFactory: (
      tracker: DependencyTracker,
      statistics: CacheStatistics,
      edge: EdgePurger,
      telemetry: CacheTelemetry,
    ) =>
      new InvalidationPipeline(
        tracker,
        edge,
        (model, id, removed) => statistics.invalidated(model, id, removed),
        telemetry,
      ),
  },
  {
    provide: DistributedLock,
    inject: [CacheStore],
    useFactory: (store: CacheStore) => new DistributedLock(store),
  },
  {
    provide: ValueEntries,
    inject: [CacheStore, DependencyTracker, CACHE_OPTIONS, InvalidationPipeline],
    useFactory: (
      store: CacheStore,
      tracker: DependencyTracker,
      options: ResolvedCacheOptions,
      pipeline: InvalidationPipeline,
    ) => new ValueEntries(store, tracker, options, pipeline.pending),
  },
  {
    provide: ValueFills,
    inject: [
      CacheStore,
      DependencyTracker,
      CacheStatistics,
      ValueEntries,
      InvalidationPipeline,
      CACHE_OPTIONS,
      ModelNames,
      CacheTelemetry,
    ],
    useFactory: (
      store: CacheStore,
      tracker: DependencyTracker,
      statistics: CacheStatistics,
      entries: ValueEntries,
      pipeline: InvalidationPipeline,
      options: ResolvedCacheOptions,
      names: ModelNames,
      telemetry: CacheTelemetry,
    ) =>
      new ValueFills(
        store,
        tracker,
        statistics,
        entries,
        pipeline.pending,
        options,
        names,
        telemetry,
      ),
  },
  // Names of models checked against the app's entities (startup, and getOrSet/set at runtime).
  { provide: ModelNames, inject: [ModuleRef, ModulesContainer], useFactory: modelNamesOf },
  // Purges the edge cache (pages.edge.purge) after each invalidation.
  EdgePurger,
];
