export { CacheModule } from './cache.module.js';
export type {
  CacheModuleOptions,
  CacheSerializer,
  RedisClusterConfig,
  ModelClass,
  ModelRef,
} from './cache.module-definition.js';
export {
  CacheService,
  CacheLockTimeoutError,
  type CacheSetOptions,
  type TrackedModels,
  type CacheIncrOptions,
  type CacheLockOptions,
  type CacheLock,
} from './cache.service.js';
export type { ModelDependency } from './models.js';
export type { CacheErrorCode } from './errors.js';
export { CacheStore, type StoreSetOptions } from './stores/cache-store.interface.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.store.js';
export { RedisStore, type RedisClient } from './stores/redis.store.js';
export { REDIS_CLIENT_DEFAULTS, REDIS_CLUSTER_DEFAULTS } from './stores/create-store.js';
export { parseTtl, type Ttl, type DurationUnit } from './ttl.js';
export { CachePage } from './pages/cache-page.decorator.js';
export { VaryOn } from './pages/vary-on.decorator.js';
export { CacheKeyFrom } from './pages/cache-key-from.decorator.js';
export { compositeEntityId } from './pages/key/entity-id.js';
export { NoCache } from './pages/no-cache.decorator.js';
export { PageCacheInterceptor } from './pages/page-cache.interceptor.js';
export type {
  CachePageOptions,
  VaryOnOptions,
  VaryFunction,
  PageModel,
  EntityIdSource,
  PageRequest,
} from './pages/page-metadata.js';
export type { PagePolicy } from './pages/policy/page-policy.js';
export type { PageLocation, PageBypass } from './pages/key/page-key.js';
export type { PageHit } from './pages/exchange.js';
export type { CapturedResponse } from './pages/fill/capture.js';
export {
  ENTITY_SAVED,
  ENTITY_DELETED,
  type EntityEventPayload,
  type EntityDescriptor,
} from './invalidation/entity-events.js';
export { Invalidates } from './invalidation/invalidates.decorator.js';
export { Cached, type CachedMethodDecorator } from './methods/cached.decorator.js';
export type { CachedOptions, MethodEntity } from './interfaces/method-options.interface.js';
export { InvalidationListener } from './invalidation/invalidation.listener.js';
export {
  CACHE_EVENTS,
  type BypassReason,
  type CacheStats,
  type PageStats,
  type MethodStats,
} from './cache-statistics.js';
export { InjectCache, getCacheToken } from './cache-name.js';
export type { CacheModuleExtras } from './cache.module-definition.js';
export {
  ResilientStore,
  StoreUnavailableError,
  type BreakerState,
} from './stores/resilient.store.js';
export type { InvalidationJournal, JournalEntry } from './invalidation/invalidation-journal.js';
export { DirectoryInvalidationJournal } from './invalidation/directory-journal.js';
export type {
  EdgeCacheOptions,
  EdgePurge,
  EdgeTagHeader,
} from './interfaces/edge-options.interface.js';
export type { EdgePurgeStats, EdgePurgeOutcome } from './cache-statistics.js';
