import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCluster } from './redis-cluster.js';
import { RedisServer } from './redis-server.js';
import { TcpProxy } from './tcp-proxy.js';

/** How a reader of a history reaches the cache's Redis: through proxies of its own. */
export interface ReaderLink {
  /** Its `CACHE_REDIS`: a URL, or JSON `{ cluster, options }`. */
  redis: string;
  /** Cuts it off (commands and subscription): bytes are swallowed, connections stay open. */
  cut(): void;
  /** Lets its bytes through again (the connections that lost some are closed). */
  heal(): void;
  /** Connections open through its proxies (a cut proves something only when they carry it). */
  connections(): number;
}

/** The cache's Redis of a history, as the test sees it: links, and a fault of the Redis itself. */
export interface HistoryDeployment {
  /** The writer's `CACHE_REDIS`: never cut off. */
  readonly writer: string;
  /** A new link for a reader. */
  link(): Promise<ReaderLink>;
  /** What `lose()` does, for messages. */
  readonly loss: string;
  /** Redis loses what it held: a restart (one server), a master's failover (a Cluster). */
  lose(): Promise<void>;
  close(): Promise<void>;
}

/** One `redis-server`, restarted empty on the same port. */
export async function standaloneDeployment(): Promise<HistoryDeployment> {
  const server = await RedisServer.start();
  const proxies: TcpProxy[] = [];
  return {
    writer: server.url,
    loss: 'a restart of Redis',
    async link() {
      const proxy = await TcpProxy.start(server.port);
      proxies.push(proxy);
      return {
        redis: proxy.url,
        cut: () => proxy.drop(),
        heal: () => proxy.heal(),
        connections: () => proxy.openConnections,
      };
    },
    lose: () => server.restart(),
    async close() {
      await Promise.all(proxies.map(proxy => proxy.close()));
      await server.kill();
    },
  };
}

/**
 * A Redis Cluster of 3 masters with a replica each. A reader reaches every node through a proxy of
 * its own (ioredis' `natMap` turns the addresses the Cluster gives into the proxies'); the loss is
 * the failover of the master holding the near cache's registry: it is killed, its replica takes
 * over at once (as an orchestrator would promote it; the Cluster's own detection takes longer than
 * a lease), and the replica had missed the last renewals (replication is asynchronous; here the
 * registry of leases is deleted on it, as in the store's TAKEOVER test).
 */
export async function clusterDeployment(): Promise<HistoryDeployment> {
  const cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
  const proxies: TcpProxy[] = [];
  return {
    writer: JSON.stringify({ cluster: cluster.nodes }),
    loss: 'the failover of the registry master, its last renewals lost',
    async link() {
      const own = await Promise.all(cluster.servers.map(server => TcpProxy.start(server.port)));
      proxies.push(...own);
      const natMap = Object.fromEntries(
        cluster.servers.map((server, i) => [
          `127.0.0.1:${server.port}`,
          { host: '127.0.0.1', port: own[i]!.port },
        ]),
      );
      return {
        redis: JSON.stringify({
          cluster: own.map(proxy => `127.0.0.1:${proxy.port}`),
          options: { natMap },
        }),
        cut: () => own.forEach(proxy => proxy.drop()),
        heal: () => own.forEach(proxy => proxy.heal()),
        connections: () => own.reduce((sum, proxy) => sum + proxy.openConnections, 0),
      };
    },
    async lose() {
      const masters = await cluster.masters();
      const holding = await Promise.all(
        masters.map(async master => (await master.command('KEYS', '*near:holders')).length > 0),
      );
      const victim = masters[Math.max(0, holding.indexOf(true))]!;
      const topology = await cluster.topology();
      const victimId = topology.find(node => node.port === victim.port)!.id;
      const replica = cluster.server(topology.find(node => node.masterId === victimId)!.port);
      await victim.kill();
      await replica.command('CLUSTER', 'FAILOVER', 'TAKEOVER');
      while (!/role:master/.test(await replica.command('INFO', 'replication'))) await sleep(10);
      const registries = (await replica.command('KEYS', '*near:holders')).split('\n');
      if (registries[0]) await replica.command('DEL', ...registries);
      await cluster.waitUntilHealthy();
    },
    async close() {
      await Promise.all(proxies.map(proxy => proxy.close()));
      await cluster.stop();
    },
  };
}
