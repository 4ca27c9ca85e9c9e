export {
  TypeOrmCacheInvalidation,
  type TypeOrmCacheInvalidationOptions,
} from './typeorm-invalidation.subscriber.js';
export { TypeOrmOutbox } from './typeorm-outbox.js';
