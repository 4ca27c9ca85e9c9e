import type { TestProject } from 'vitest/node';

import {
  findExecutable,
  pingUrl,
  REDIS_INSTALL_HINT,
  RedisServer,
} from './support/redis-server.js';

/**
 * Vitest global setup: provides `redisUrl` (see test/support/redis.ts) to every test file.
 *
 * - REDIS_URL set: it must answer PING, and is used as the shared server.
 * - otherwise: a throw-away `redis-server` is started on a free port and stopped on teardown.
 *
 * Tests share the server and must isolate themselves with `uniquePrefix()` (never FLUSHALL);
 * tests that kill/pause Redis start their own `RedisServer`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.REDIS_URL?.trim();
  if (external) {
    try {
      await pingUrl(external, 5_000);
    } catch (err) {
      throw new Error(
        `REDIS_URL=${external} does not answer PING: ${(err as Error).message}. ` +
          'Start that server, or unset REDIS_URL to let the tests start their own redis-server.',
      );
    }
    project.provide('redisUrl', external);
    return async () => undefined;
  }

  if (!findExecutable('redis-server')) {
    throw new Error(
      `The tests need a real Redis server, but redis-server is not on PATH. ${REDIS_INSTALL_HINT}`,
    );
  }
  const server = await RedisServer.start();
  project.provide('redisUrl', server.url);
  return async () => {
    await server.stop();
  };
}
