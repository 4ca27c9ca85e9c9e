import type { CacheModuleOptions } from 'nestjs-page-cache';
import { ADAPTERS, type AdapterName } from './http-app.js';
import { redisClusterNodes, redisUrl } from './redis.js';

/**
 * The Redis deployments the store-touching suites run on: a standalone server and a Redis Cluster
 * (both shared, started by test/global-setup.ts).
 */
export const BACKENDS = ['redis', 'cluster'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The `redis` option that connects to the shared server or cluster. */
export function redisOption(backend: Backend): NonNullable<CacheModuleOptions['redis']> {
  return backend === 'cluster' ? { cluster: redisClusterNodes() } : redisUrl();
}

/**
 * Every HTTP adapter on every backend:
 * `describe.each(MATRIX)('… on %s/%s', (adapter, backend) => …)`.
 */
export const MATRIX: [AdapterName, Backend][] = ADAPTERS.flatMap(([adapter]) =>
  BACKENDS.map(backend => [adapter, backend] as [AdapterName, Backend]),
);
