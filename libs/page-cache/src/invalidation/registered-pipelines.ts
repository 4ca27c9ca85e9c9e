import { DiscoveryService, type ModuleRef } from '@nestjs/core';
import { InvalidationPipeline } from './invalidation-pipeline.js';

/**
 * The invalidation pipeline of every cache of the app (named ones too): an invalidation delivered
 * from a journal must reach all of them, as entity events do.
 */
export function registeredPipelines(moduleRef: ModuleRef): InvalidationPipeline[] {
  const found = new Set<InvalidationPipeline>();
  let discovery: DiscoveryService | undefined;
  try {
    discovery = moduleRef.get(DiscoveryService, { strict: false });
  } catch {
    discovery = undefined; // no DiscoveryModule: only the default cache can be found
  }
  for (const wrapper of discovery?.getProviders() ?? []) {
    if (wrapper.instance instanceof InvalidationPipeline) found.add(wrapper.instance);
  }
  if (found.size === 0) found.add(moduleRef.get(InvalidationPipeline, { strict: false }));
  return [...found];
}
