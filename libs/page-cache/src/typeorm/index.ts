export { TypeOrmCacheInvalidation } from './typeorm-invalidation.subscriber.js';
