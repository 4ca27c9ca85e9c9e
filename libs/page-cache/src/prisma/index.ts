export {
  prismaCacheInvalidation,
  type PrismaCacheInvalidationOptions,
} from './prisma-invalidation.extension.js';
