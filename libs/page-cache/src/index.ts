// The public API. Every name here is a contract; what only the library's own files need is
// imported from its source file instead (see CHANGELOG.md, "Removed from the public API").
export { CacheModule } from './cache.module.js';
export type {
  CacheModuleOptions,
  CacheSerializer,
  PageCacheOptions,
  UnkeyedInputsMode,
} from './interfaces/cache-module-options.interface.js';
export type { ModelDependency, ModelRef } from './interfaces/model-ref.interface.js';
export type { Ttl } from './ttl.js';
export { CacheService } from './cache.service.js';
export { CacheLockTimeoutError, type CacheErrorCode } from './errors.js';
export { CacheStore, type StoreSetOptions } from './stores/cache-store.interface.js';
export { CachePage } from './pages/cache-page.decorator.js';
export { VaryOn } from './pages/vary-on.decorator.js';
export { CacheKeyFrom } from './pages/cache-key-from.decorator.js';
export { NoCache } from './pages/no-cache.decorator.js';
export { compositeEntityId } from './pages/key/entity-id.js';
export { PageCacheInterceptor } from './pages/page-cache.interceptor.js';
export type {
  CachePageOptions,
  EntityIdParser,
  PageEntity,
  PageRequest,
  VaryOnOptions,
} from './interfaces/page-options.interface.js';
export type { PageHit } from './pages/exchange.js';
export {
  ENTITY_SAVED,
  ENTITY_DELETED,
  type EntityEventPayload,
} from './invalidation/entity-events.js';
export { Invalidates } from './invalidation/invalidates.decorator.js';
export { Cached } from './methods/cached.decorator.js';
export type { CachedOptions, MethodEntity } from './interfaces/method-options.interface.js';
export { CACHE_EVENTS, type CacheStats } from './cache-statistics.js';
export { InjectCache, getCacheToken } from './cache-name.js';
export type { InvalidationJournal, JournalEntry } from './invalidation/invalidation-journal.js';
export { DirectoryInvalidationJournal } from './invalidation/directory-journal.js';
export type { EdgeCacheOptions, EdgePurge } from './interfaces/edge-options.interface.js';
