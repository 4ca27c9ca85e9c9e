import { DiscoveryService, type ModuleRef } from '@nestjs/core';
import { CacheService } from '../cache.service.js';

/**
 * Every cache of the app (the default one and each named one, `CacheModule.forRoot({ name })`):
 * an invalidation an ORM integration delivers from its outbox must reach all of them, as entity
 * events do.
 */
export function registeredCaches(moduleRef: ModuleRef): CacheService[] {
  const found = new Set<CacheService>();
  let discovery: DiscoveryService | undefined;
  try {
    discovery = moduleRef.get(DiscoveryService, { strict: false });
  } catch {
    discovery = undefined; // no DiscoveryModule: only the default cache can be found
  }
  for (const wrapper of discovery?.getProviders() ?? []) {
    if (wrapper.instance instanceof CacheService) found.add(wrapper.instance);
  }
  if (found.size === 0) found.add(moduleRef.get(CacheService, { strict: false }));
  return [...found];
}
