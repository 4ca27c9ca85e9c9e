export { MikroOrmCacheInvalidation } from './mikro-orm-invalidation.subscriber.js';
