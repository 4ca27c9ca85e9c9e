import type { CachedOptions } from '../interfaces/method-options.interface.js';

/** @internal Metadata key of `@Cached()` (on the method). */
export const CACHED_METADATA = 'nestjs-page-cache:cached';

/** @internal `@Cached` options, validated. */
export interface CachedSpec extends Pick<CachedOptions, 'key' | 'models'> {
  /** Lifetime in ms; undefined: the module's `ttl`. */
  ttlMs?: number;
  /** The cache's name (`'default'` for the default one). */
  cache: string;
}
