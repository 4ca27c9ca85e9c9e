import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-page-cache';
import { redisOption } from './backends.js';
import { uniquePrefix } from './redis.js';

/** The stores every CacheService contract test runs against: standalone Redis, Cluster, memory. */
export const STORES = ['redis', 'cluster', 'memory'] as const;
export type StoreKind = (typeof STORES)[number];

/** Options selecting one store, with a key prefix of its own so tests never share keys. */
export function storeOptions(kind: StoreKind, extra: CacheModuleOptions = {}): CacheModuleOptions {
  const base: CacheModuleOptions =
    kind === 'memory' ? { store: 'memory' as const } : { redis: redisOption(kind) };
  return { keyPrefix: uniquePrefix(kind), ...base, ...extra };
}

/** Boots a Nest testing module with CacheModule and returns its CacheService. */
export async function bootCache(
  kind: StoreKind,
  extra: CacheModuleOptions = {},
): Promise<{ module: TestingModule; cache: CacheService }> {
  const module = await Test.createTestingModule({
    imports: [CacheModule.forRoot(storeOptions(kind, extra))],
  }).compile();
  await module.init();
  return { module, cache: module.get(CacheService) };
}
