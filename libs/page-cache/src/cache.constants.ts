/** Injection token of the validated, resolved options (`ResolvedCacheOptions`). */
export const CACHE_OPTIONS = Symbol('CACHE_OPTIONS');
