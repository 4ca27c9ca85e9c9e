import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveCacheOptions } from '../../libs/page-cache/src/cache.options.js';
import type { CacheStore } from '../../libs/page-cache/src/stores/cache-store.interface.js';
import { createStore } from '../../libs/page-cache/src/stores/create-store.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** How long the promoted replica holds the client's new connection (ms). */
const HOLD_MS = 400;

/**
 * Each reply of a Cluster belongs to the command it answers, through failovers. ioredis 6 can
 * break that: a pipeline (every auto-pipelined command is one) chooses its node with its first
 * command; when that command is refused before a node is chosen (it drew a master whose
 * connection is not ready yet) the next one draws again, and the pipeline's other commands are
 * queued on that node's connection while their bytes, written only once every command of the
 * pipeline was, are never sent. Every later reply on that connection then answers an earlier
 * command: a `GET` gets another key's value, a `PTTL` the text of `INFO`. The draw happens when
 * the slot map names an address the client holds no connection for — under `natMap`, every
 * `MOVED` until the map is read again — so here the client reaches each node through a proxy,
 * and the promoted replica is slow to take the connection the client opens to it.
 */
describe('replies of a Redis Cluster through failovers', () => {
  let cluster: RedisCluster;
  const proxies: TcpProxy[] = [];
  let store: CacheStore | undefined;

  beforeEach(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
    proxies.push(
      ...(await Promise.all(cluster.servers.map(server => TcpProxy.start(server.port)))),
    );
  }, 60_000);
  afterEach(async () => {
    await store?.close?.();
    await Promise.all(proxies.splice(0).map(proxy => proxy.close()));
    await cluster.stop();
  });

  it('every reply answers its own command while the masters fail over one after another', async () => {
    const natMap = Object.fromEntries(
      cluster.servers.map((server, i) => [
        `127.0.0.1:${server.port}`,
        { host: '127.0.0.1', port: proxies[i]!.port },
      ]),
    );
    store = await createStore(
      resolveCacheOptions({
        redis: { cluster: proxies.map(proxy => `127.0.0.1:${proxy.port}`), options: { natMap } },
        // Every call reaches the store: the breaker does not stand between the test and it.
        breaker: { failures: 1_000_000 },
      }),
      new Logger('test'),
    );
    const used = store;

    // Writers and readers of keys whose values name them: a reply to another command shows.
    const wrong: string[] = [];
    let answered = 0;
    let stop = false;
    const check = (what: string, good: boolean) => {
      answered++;
      if (!good && wrong.length < 10) wrong.push(what);
    };
    const loop = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const key = `reply:${w}:${n % 40}`;
        const other = `reply:${w}:${(n + 13) % 40}`;
        await Promise.allSettled([
          used.set(key, Buffer.from(key), 60_000).then(ok => check(`SET ${key}: ${ok}`, ok)),
          used.get(key).then(value => check(`GET ${key}: ${value}`, value?.toString() === key)),
          used.getMany([other, key]).then(values =>
            check(
              `MGET ${other} ${key}: ${values.join(' ')}`,
              values.every(
                (value, i) => value === undefined || value.toString() === [other, key][i],
              ),
            ),
          ),
          used
            .ttl(key)
            .then(ttl =>
              check(
                `PTTL ${key}: ${String(ttl)}`,
                ttl === undefined || (typeof ttl === 'number' && ttl > 0 && ttl <= 60_000),
              ),
            ),
        ]);
      }
    };
    const loops = Array.from({ length: 12 }, (_, w) => loop(w));

    try {
      // Six failovers: each master's replica is promoted, then the old master is again. The client's
      // connection to the node promoted is closed first (a replica it never used has none), and
      // the node is slow to take the new one.
      for (let round = 0; round < 6; round++) {
        const from = answered;
        await vi.waitFor(() => expect(answered).toBeGreaterThan(from + 500), { timeout: 20_000 });
        const topology = await cluster.topology();
        const master = topology.filter(node => node.role === 'master')[round % 3]!;
        const replica = topology.find(node => node.masterId === master.id)!;
        const promoted = cluster.server(replica.port);
        const proxy = proxies[cluster.servers.indexOf(promoted)]!;
        await promoted.command('CLIENT', 'KILL', 'TYPE', 'normal');
        proxy.holdNewConnections(HOLD_MS);
        await promoted.command('CLUSTER', 'FAILOVER');
        await cluster.waitUntilHealthy();
        // The client's new connection to the new master is held (a duration of the fault).
        await sleep(HOLD_MS);
        proxy.holdNewConnections(0);
      }
      const from = answered;
      await vi.waitFor(() => expect(answered).toBeGreaterThan(from + 500), { timeout: 20_000 });
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
