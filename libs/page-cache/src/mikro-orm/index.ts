export {
  MikroOrmCacheInvalidation,
  MIKRO_ORM_CACHE_INVALIDATION_OPTIONS,
  type MikroOrmCacheInvalidationOptions,
} from './mikro-orm-invalidation.subscriber.js';
export { MikroOrmOutbox, MIKRO_ORM_OUTBOX_TABLE } from './mikro-orm-outbox.js';
