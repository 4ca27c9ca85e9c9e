export {
  TypeOrmCacheInvalidation,
  TYPEORM_CACHE_INVALIDATION_OPTIONS,
  type TypeOrmCacheInvalidationOptions,
} from './typeorm-invalidation.subscriber.js';
export { TypeOrmOutbox, OUTBOX_TABLE } from './typeorm-outbox.js';
