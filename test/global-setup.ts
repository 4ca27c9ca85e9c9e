import type { TestProject } from 'vitest/node';

import { RedisCluster } from './support/redis-cluster.js';
import {
  findExecutable,
  pingUrl,
  REDIS_INSTALL_HINT,
  RedisServer,
} from './support/redis-server.js';

/**
 * Vitest global setup: provides `redisUrl` and `redisClusterNodes` (see test/support/redis.ts) to
 * every test file.
 *
 * - REDIS_URL set: it must answer PING, and is used as the shared server; otherwise a throw-away
 *   `redis-server` is started on a free port and stopped on teardown.
 * - REDIS_CLUSTER_NODES set (`host:port,host:port…`, startup nodes of a Redis Cluster the tests may
 *   write to): the first node must answer PING; otherwise a throw-away 3-master cluster is started
 *   from `redis-server` binaries and stopped on teardown.
 *
 * Tests share them and must isolate themselves with `uniquePrefix()` (never FLUSHALL); tests that
 * kill/pause Redis start their own `RedisServer` or `RedisCluster`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardown: (() => Promise<void>)[] = [];
  const externalUrl = process.env.REDIS_URL?.trim();
  const externalCluster = process.env.REDIS_CLUSTER_NODES?.split(',')
    .map(node => node.trim())
    .filter(node => node.length > 0);
  if ((!externalUrl || !externalCluster?.length) && !findExecutable('redis-server')) {
    throw new Error(
      `The tests need a real Redis server, but redis-server is not on PATH. ${REDIS_INSTALL_HINT}` +
        ' With REDIS_URL, also set REDIS_CLUSTER_NODES to a Redis Cluster (host:port,…).',
    );
  }

  try {
    if (externalUrl) {
      try {
        await pingUrl(externalUrl, 5_000);
      } catch (err) {
        throw new Error(
          `REDIS_URL=${externalUrl} does not answer PING: ${(err as Error).message}. ` +
            'Start that server, or unset REDIS_URL to let the tests start their own redis-server.',
        );
      }
      project.provide('redisUrl', externalUrl);
    }
    if (externalCluster?.length) {
      try {
        await pingUrl(`redis://${externalCluster[0]}`, 5_000);
      } catch (err) {
        throw new Error(
          `REDIS_CLUSTER_NODES=${externalCluster.join(',')} does not answer PING: ${(err as Error).message}. ` +
            'Start that cluster, or unset REDIS_CLUSTER_NODES to let the tests start their own.',
        );
      }
      project.provide('redisClusterNodes', externalCluster);
    }

    // Both started at once (the cluster takes about two seconds to form); both settle before a
    // failure of one is reported, so the other is torn down too.
    const started = await Promise.allSettled([
      externalUrl
        ? undefined
        : RedisServer.start().then(server => {
            teardown.push(() => server.stop());
            project.provide('redisUrl', server.url);
          }),
      externalCluster?.length
        ? undefined
        : RedisCluster.start({ masters: 3 }).then(cluster => {
            teardown.push(() => cluster.stop());
            project.provide('redisClusterNodes', cluster.nodes);
          }),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
  } catch (error) {
    await Promise.all(teardown.map(stop => stop()));
    throw error;
  }
  return async () => {
    await Promise.all(teardown.map(stop => stop()));
  };
}
