import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule, CacheService, CacheStore } from 'nestjs-page-cache';
import { NearNames } from '../../libs/page-cache/src/near/near-names.js';
import type { NearStore } from '../../libs/page-cache/src/near/near.store.js';
import { keySlot } from '../../libs/page-cache/src/stores/cluster-slots.js';
import { RedisCluster } from '../support/redis-cluster.js';
import type { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/redis.js';

/**
 * A holder on a Cluster hears its channels on the master that runs the near scripts (where they
 * publish), never relayed by the cluster bus: a link of the bus that breaks loses what it carried
 * while later messages come through, and a subscriber elsewhere would not know. When that master
 * fails over, the holder loses its lease and copies, moves to the new master, and proves its
 * channel there again.
 */
describe('near copies on a Redis Cluster whose registry master fails over', () => {
  let cluster: RedisCluster;
  const modules: TestingModule[] = [];

  beforeEach(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(modules.splice(0).map(module => module.close()));
    await cluster.stop();
  });

  async function holder() {
    const keyPrefix = uniquePrefix('near_failover');
    const module = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          redis: { cluster: cluster.nodes },
          keyPrefix,
          near: { lease: '1s' },
          defaultModels: [],
        }),
      ],
    }).compile();
    await module.init();
    modules.push(module);
    const cache = module.get(CacheService);
    const store = module.get<symbol, NearStore>(CacheStore);
    const names = new NearNames(`${keyPrefix}:1`);
    const pings = names.pings(store.holder!.id);
    await vi.waitFor(() => expect(cache.stats().near?.lease).toBe('held'), { timeout: 10_000 });
    return { cache, store, names, pings };
  }

  /** How many connections of `server` are subscribed to `channel`. */
  async function subscribers(server: RedisServer, channel: string): Promise<number> {
    const reply = await server.command('PUBSUB', 'NUMSUB', channel);
    return Number(reply.split('\n').at(-1));
  }

  async function replicaOf(master: RedisServer): Promise<RedisServer> {
    const topology = await cluster.topology();
    const id = topology.find(node => node.port === master.port)!.id;
    return cluster.server(topology.find(node => node.masterId === id)!.port);
  }

  it('hears its channels on the registry master, and follows it through a graceful failover', async () => {
    const { cache, store, names, pings } = await holder();
    const registry = await cluster.masterOf(keySlot(names.holders));
    expect(await subscribers(registry, pings)).toBe(1);
    const others = cluster.servers.filter(server => server !== registry);
    expect(await Promise.all(others.map(server => subscribers(server, pings)))).toEqual(
      others.map(() => 0),
    );

    const lost = vi.spyOn(store.holder!.lease, 'lost');
    const promoted = await replicaOf(registry);
    await promoted.command('CLUSTER', 'FAILOVER');
    await cluster.waitUntilHealthy();
    // The old master, now a replica, still relays the new master's pings by the bus: they prove
    // nothing, and the holder moves to the new master.
    await vi.waitFor(
      async () => {
        expect(await subscribers(promoted, pings)).toBe(1);
        expect(await subscribers(registry, pings)).toBe(0);
      },
      { timeout: 10_000 },
    );
    expect(lost).toHaveBeenCalled();
    await vi.waitFor(() => expect(cache.stats().near?.lease).toBe('held'), { timeout: 10_000 });
  });

  it('loses its lease and copies when the registry master is killed, and proves it again on the new one', async () => {
    const { cache, store, names, pings } = await holder();
    const read = () => cache.getOrSet('post', () => ({ title: 'a' }), { models: ['Post'] });
    // Until a read is answered near (a lease that lapsed on a loaded machine drops the copies).
    await vi.waitFor(
      async () => {
        const hits = store.holder!.hits;
        await read();
        expect(store.holder!.hits).toBeGreaterThan(hits);
      },
      { timeout: 10_000 },
    );

    const registry = await cluster.masterOf(keySlot(names.holders));
    const promoted = await replicaOf(registry);
    const lost = vi.spyOn(store.holder!.lease, 'lost');
    await registry.kill();
    // Nothing is read meanwhile: the holder learns of it from its channel, not from an epoch.
    await vi.waitFor(() => expect(lost).toHaveBeenCalled(), { timeout: 10_000 });
    expect(store.holder!.copies.size).toBe(0);
    await cluster.waitUntilHealthy();
    await vi.waitFor(async () => expect(await subscribers(promoted, pings)).toBe(1), {
      timeout: 10_000,
    });
    await vi.waitFor(() => expect(cache.stats().near?.lease).toBe('held'), { timeout: 10_000 });
  });
});
