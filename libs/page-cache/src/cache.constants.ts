/** Injection token of the validated, resolved options (`ResolvedCacheOptions`). */
export const CACHE_OPTIONS = Symbol('CACHE_OPTIONS');

/** The name of the cache a module instance provides (`'default'` when none is given). */
export const CACHE_NAME = Symbol('CACHE_NAME');

/** Name of the cache registered without `name`. */
export const DEFAULT_CACHE = 'default';

/** The injection token of a named cache's `CacheService`. */
export function getCacheToken(name: string = DEFAULT_CACHE): string {
  return `nestjs-page-cache:CacheService:${name}`;
}
