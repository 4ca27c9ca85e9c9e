export {
  MikroOrmCacheInvalidation,
  type MikroOrmCacheInvalidationOptions,
} from './mikro-orm-invalidation.subscriber.js';
export { MikroOrmOutbox } from './mikro-orm-outbox.js';
