import type { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClusterConfig } from '../interfaces/cache-module-options.interface.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import type { CacheStore } from './cache-store.interface.js';
import { createNearStore } from '../near/create-near-store.js';
import { MemoryStore, type MemoryStoreOptions } from './memory.store.js';
import { NoneStore } from './none.store.js';
import { RedisStore } from './redis.store.js';
import { ResilientStore } from './resilient.store.js';
import { RedisDiagnostics } from './store-diagnostics.js';

/**
 * Defaults for Redis clients the cache creates: fail fast instead of hanging. A command that
 * cannot be sent now fails at once (no offline queue) and is retried once; the connection is
 * re-established in the background. Every cache call is bounded by the module's `commandTimeout`
 * (see ResilientStore); the client's own timeout is only a backstop that drops hung commands.
 */
export const REDIS_CLIENT_DEFAULTS: RedisOptions = {
  commandTimeout: 1_000,
  connectTimeout: 2_000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  // Batches concurrent commands into one write: the hit path's single GET rides along with others.
  enableAutoPipelining: true,
  retryStrategy: times => Math.min(100 * times, 2_000),
};

/**
 * Defaults for Redis Cluster clients the cache creates, with the same fail-fast behaviour: no
 * offline queue while the cluster is not ready, a command timeout and one retry on every node
 * connection, auto-pipelining (concurrent commands go out as one write per node), and
 * reconnection in the background. When a master dies, commands for its slots are retried after
 * the slot map is re-read (`retryDelayOnFailover`) until they time out, so a failover is picked up
 * by the next requests without a restart.
 *
 * ioredis always gives node connections an offline queue (they connect lazily); the command
 * timeouts bound what waits there.
 */
export const REDIS_CLUSTER_DEFAULTS: ClusterOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  clusterRetryStrategy: times => Math.min(100 * times, 2_000),
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  retryDelayOnTryAgain: 100,
  redisOptions: {
    commandTimeout: REDIS_CLIENT_DEFAULTS.commandTimeout,
    connectTimeout: REDIS_CLIENT_DEFAULTS.connectTimeout,
    maxRetriesPerRequest: 1,
  },
};

/** How long startup waits for a created client to connect before going on without it (ms). */
const STARTUP_WAIT_MS = 2_000;

/** Builds the store the options ask for. */
export async function createStore(
  resolved: ResolvedCacheOptions,
  logger: Logger,
  memory?: MemoryStoreOptions,
): Promise<CacheStore> {
  const spec = resolved.store;
  switch (spec.kind) {
    case 'none':
      return new NoneStore();
    case 'custom':
      return new ResilientStore(spec.store, guard(resolved));
    case 'memory':
      if (spec.warn) {
        logger.warn(
          'No redis or store option given: using the in-memory store. It lives in this process only, ' +
            'so workers and hosts do not share it (and invalidations do not reach the others). ' +
            "Set `redis` for production, or `store: 'memory'` to silence this warning.",
        );
      }
      return new MemoryStore(memory);
    case 'redis': {
      const lent = spec.redis instanceof Redis || spec.redis instanceof Cluster;
      const client = lent
        ? (spec.redis as Redis | Cluster)
        : createClient(
            spec.redis as string | RedisOptions | RedisClusterConfig,
            resolved.commandTimeoutMs,
          );
      // Listening to `error` events silences ioredis' own printing of them: the breaker reports
      // outages instead. A lent client is listened to only if the application listens already.
      const diagnostics = new RedisDiagnostics(client, !lent || client.listenerCount('error') > 0);
      const redisStore = new RedisStore(client, !lent);
      const store = new ResilientStore(redisStore, guard(resolved), diagnostics);
      if (!lent && !(await waitUntilReady(client))) {
        store.reportUnreachableAtStartup(await diagnostics.explainStartup(STARTUP_WAIT_MS));
      } else {
        // Pages are served once it is known which life of the server's data this is.
        await redisStore.epochReady(STARTUP_WAIT_MS);
      }
      // Near copies when asked for; in any case writes are announced to processes that keep them.
      return createNearStore(store, client, resolved.namespace, resolved.near, command =>
        store.run(command),
      );
    }
  }
}

function guard(resolved: ResolvedCacheOptions) {
  return { ...resolved.breaker, timeoutMs: resolved.commandTimeoutMs };
}

function createClient(
  redis: string | RedisOptions | RedisClusterConfig,
  commandTimeout: number,
): Redis | Cluster {
  const defaults = {
    ...REDIS_CLIENT_DEFAULTS,
    commandTimeout: Math.max(REDIS_CLIENT_DEFAULTS.commandTimeout!, 5 * commandTimeout),
  };
  if (typeof redis === 'object' && 'cluster' in redis) {
    const options = redis.options ?? {};
    return new Cluster(redis.cluster, {
      ...REDIS_CLUSTER_DEFAULTS,
      ...options,
      redisOptions: {
        ...REDIS_CLUSTER_DEFAULTS.redisOptions,
        commandTimeout: defaults.commandTimeout,
        ...options.redisOptions,
      },
    });
  }
  return typeof redis === 'string'
    ? new Redis(redis, defaults)
    : new Redis({ ...defaults, ...redis });
}

/** Waits up to {@link STARTUP_WAIT_MS} for the client to be ready. @returns whether it is. */
async function waitUntilReady(client: Redis | Cluster): Promise<boolean> {
  if (client.status === 'ready') return true;
  const timeout = AbortSignal.timeout(STARTUP_WAIT_MS);
  try {
    await once(client, 'ready', { signal: timeout });
    return true;
  } catch {
    // Redis is not there yet: start anyway, serve uncached, and reconnect in the background.
    return false;
  }
}
