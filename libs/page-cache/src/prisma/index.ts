export {
  prismaCacheInvalidation,
  type PrismaCacheInvalidationExtension,
  type PrismaCacheInvalidationOptions,
} from './prisma-invalidation.extension.js';
export type { PrismaPrimaryKeys } from './prisma-primary-keys.js';
