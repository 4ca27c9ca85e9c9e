import { Inject, type DynamicModule, type Provider } from '@nestjs/common';
import { CacheService } from './cache.service.js';
import { CACHE_NAME, DEFAULT_CACHE, getCacheToken } from './cache.constants.js';
import { CacheStore } from './stores/cache-store.interface.js';

export { CACHE_NAME, DEFAULT_CACHE, getCacheToken } from './cache.constants.js';

/**
 * Injects the `CacheService` of a named cache (`CacheModule.forRoot({ name })`), or of the default
 * cache without a name.
 */
export const InjectCache = (name?: string): ParameterDecorator & PropertyDecorator =>
  Inject(name === undefined ? CacheService : getCacheToken(name));

/**
 * Adds what makes one CacheModule instance a named cache: its name, and its service under a token
 * of its own. Only the default cache exports the `CacheService` and `CacheStore` classes
 * themselves, so a named cache never shadows it.
 */
export function withName(definition: DynamicModule, name: string | undefined): DynamicModule {
  if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name))) {
    throw new TypeError(
      `Invalid CacheModule name: ${JSON.stringify(name)}. Expected letters, digits, "_", "." or "-".`,
    );
  }
  const cacheName = name ?? DEFAULT_CACHE;
  const token = getCacheToken(cacheName);
  const providers: Provider[] = [
    ...(definition.providers ?? []),
    { provide: CACHE_NAME, useValue: cacheName },
    { provide: token, useExisting: CacheService },
  ];
  return {
    ...definition,
    providers,
    exports: name === undefined ? [CacheService, CacheStore, token] : [token],
  };
}
