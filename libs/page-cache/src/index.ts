export { CacheModule } from './cache.module.js';
export type {
  CacheModuleOptions,
  CacheSerializer,
  ModelClass,
  ModelRef,
} from './cache.module-definition.js';
export {
  CacheService,
  CacheLockTimeoutError,
  type CacheSetOptions,
  type CacheIncrOptions,
  type CacheLockOptions,
  type CacheLock,
} from './cache.service.js';
export type { ModelDependency } from './models.js';
export { CacheStore, type StoreSetOptions } from './stores/cache-store.interface.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.store.js';
export { RedisStore, type RedisClient } from './stores/redis.store.js';
export { REDIS_CLIENT_DEFAULTS } from './stores/create-store.js';
export { parseTtl, type Ttl, type DurationUnit } from './ttl.js';
