import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

let counter = 0;

/**
 * URL of the shared Redis server provided by test/global-setup.ts. The server is shared by all
 * test files (which may run in parallel): never FLUSHDB/FLUSHALL it, use `uniquePrefix()` keys.
 */
export function redisUrl(): string {
  return inject('redisUrl');
}

/**
 * Startup nodes (`host:port`) of the shared Redis Cluster provided by test/global-setup.ts. Shared
 * like `redisUrl()`: isolate keys with `uniquePrefix()`.
 */
export function redisClusterNodes(): string[] {
  return inject('redisClusterNodes');
}

/**
 * A key prefix unique to this call, e.g. `test_4242_3_9f1c2a` — unique across test files,
 * workers and runs sharing one server. Add your own separator (`${uniquePrefix()}:`) if wanted.
 */
export function uniquePrefix(name = 'test'): string {
  const safeName = name.replace(/[^A-Za-z0-9_-]/g, '_') || 'test';
  counter += 1;
  return `${safeName}_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
}
