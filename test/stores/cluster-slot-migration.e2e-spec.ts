import { Cluster } from 'ioredis';
import { keySlot } from '../../libs/page-cache/src/stores/cluster-slots.js';
import { RedisStore } from '../../libs/page-cache/src/stores/redis.store.js';
import { RedisCluster } from '../support/redis-cluster.js';

describe('a routine slot migration (no failover, no data lost)', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicas: 0 });
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster.stop();
  });

  it('keeps reads answered across the MOVED, and the epoch', async () => {
    client = new Cluster(cluster.nodes);
    const store = new RedisStore(client);
    await store.epochReady(5_000);
    const epoch0 = store.epoch();
    const keys = Array.from({ length: 20 }, (_, i) => `{migrating}:k${i}`);
    for (const k of keys) await client.set(k, 'v');
    const slot = keySlot(keys[0]!);
    const topology = await cluster.topology();
    const src = await cluster.masterOf(slot);
    const srcId = topology.find(n => n.port === src.port)!.id;
    const dst = topology.find(
      n => n.port !== src.port && n.role === 'master' && n.slots.length > 0,
    )!;
    const dstServer = cluster.server(dst.port);
    await dstServer.command('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', srcId);
    await src.command('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', dst.id);
    await src.command('MIGRATE', '127.0.0.1', String(dst.port), '', '0', '5000', 'KEYS', ...keys);
    await dstServer.command('CLUSTER', 'SETSLOT', String(slot), 'NODE', dst.id);
    await src.command('CLUSTER', 'SETSLOT', String(slot), 'NODE', dst.id);
    const results = await Promise.allSettled(keys.map(k => store.get(k)));
    const failed = results
      .filter(r => r.status === 'rejected')
      .map(r => (r as PromiseRejectedResult).reason.name);
    expect(failed).toEqual([]);
    // The slot moved to a node that was a master already: the same data, the same epoch.
    await new Promise(r => setTimeout(r, 500));
    expect(store.epoch()).toBe(epoch0);
  }, 60_000);
});
