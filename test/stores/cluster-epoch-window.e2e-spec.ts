import { Test, type TestingModule } from '@nestjs/testing';
import type { Cluster } from 'ioredis';
import { CacheModule, CacheService, CacheStore } from 'nestjs-page-cache';
import { fillLockKey, generationKey, indexKey } from '../../libs/page-cache/src/keys.js';
import type { NearStore } from '../../libs/page-cache/src/near/near.store.js';
import { NearNames } from '../../libs/page-cache/src/near/near-names.js';
import { keySlot } from '../../libs/page-cache/src/stores/cluster-slots.js';
import type { RedisStore } from '../../libs/page-cache/src/stores/redis.store.js';
import type { ResilientStore } from '../../libs/page-cache/src/stores/resilient.store.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { uniquePrefix } from '../support/redis.js';

/** Where the store records the epochs processes were in (see `RedisEpoch`). */
const EPOCHS_KEY = 'nestjs-page-cache:~epochs';

/**
 * A failover of a Cluster master that holds none of a cache's keys is a new epoch, which each
 * process notices at its next check (every 250 ms, later for a process frozen meanwhile). Until
 * then a lagging process reads and writes the tokens of the old epoch; an invalidation made in
 * the new one must remove those too — and one made by the lagging process must remove the new
 * epoch's. The lagging process is simulated by holding its epoch checks (a frozen timer).
 */
describe('an invalidation across the epoch change of a Cluster failover', () => {
  let cluster: RedisCluster;
  const modules: TestingModule[] = [];

  beforeEach(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(modules.splice(0).map(module => module.close()));
    await cluster.stop();
  });

  interface Process {
    cache: CacheService;
    redis: RedisStore;
    /** Stops the process from noticing a new epoch (its checks and refreshes do nothing). */
    freezeEpoch(): void;
  }

  async function start(keyPrefix: string): Promise<Process> {
    const module = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({ redis: { cluster: cluster.nodes }, keyPrefix, defaultModels: [] }),
      ],
    }).compile();
    await module.init();
    modules.push(module);
    const near = module.get<symbol, NearStore>(CacheStore);
    const redis = (near.inner as ResilientStore).inner as RedisStore;
    await vi.waitFor(() => expect(redis.epoch()).toBeDefined(), { timeout: 10_000 });
    const epochs = (redis as unknown as { epochs: object }).epochs as {
      verify(): Promise<void>;
      refresh(): Promise<void>;
    };
    return {
      cache: module.get(CacheService),
      redis,
      freezeEpoch() {
        vi.spyOn(epochs, 'verify').mockResolvedValue(undefined);
        vi.spyOn(epochs, 'refresh').mockResolvedValue(undefined);
      },
    };
  }

  type Slots = [number, number][];
  const inSlots = (slot: number, ranges: Slots): boolean =>
    ranges.some(([first, last]) => slot >= first && slot <= last);

  /**
   * A key prefix, value key and model whose keys in `epochs` (tokens, index sets, value, fill lock,
   * near registry, epoch record) all stay off the slots of one master, and that master (or the
   * prefix and slots given): a failover of it is noticed by no command of the cache's own, only by
   * the epoch's checks.
   */
  async function layout(epochs: string[], fixed?: { keyPrefix: string; avoid: Slots }) {
    const masters = (await cluster.topology()).filter(
      node => node.role === 'master' && !node.failed && node.slots.length > 0,
    );
    const clear = (keys: string[], avoid: Slots): boolean =>
      !keys.some(key => inSlots(keySlot(key), avoid));
    // Searched one part at a time (prefix, then model, then key): the model's keys grow with the
    // epochs recorded, and a failover under load can record several on the way.
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const keyPrefix = fixed?.keyPrefix ?? uniquePrefix('epoch_window');
      const ns = `${keyPrefix}:1`;
      const fixedKeys = [EPOCHS_KEY, new NearNames(ns).holders];
      const spare = fixed
        ? { port: 0, slots: fixed.avoid }
        : masters.find(master => clear(fixedKeys, master.slots));
      if (!spare || !clear(fixedKeys, spare.slots)) continue;
      const find = (name: (n: number) => string, keys: (name: string) => string[]) => {
        for (let n = 0; n < 2_000_000; n++) {
          if (clear(keys(name(n)), spare.slots)) return name(n);
        }
        throw new Error(`no name off the slots of ${spare.port} for ${epochs.length} epochs`);
      };
      const model = find(
        n => `Post${n}`,
        model =>
          [model, `${model}/`].flatMap(dep => [
            indexKey(ns, dep),
            ...epochs.map(epoch => generationKey(ns, dep, epoch)),
          ]),
      );
      const key = find(
        n => `post${n}`,
        key => [`${ns}:${key}`, fillLockKey(ns, `${ns}:${key}`)],
      );
      return { keyPrefix, model, key, avoid: spare.slots, spare: spare.port };
    }
    throw new Error('no layout found');
  }

  /** Fails `port` over to its replica, and returns the replica's port. */
  async function failover(port: number): Promise<number> {
    const master = cluster.server(port);
    const replicaPort = await vi.waitFor(
      async () => {
        const info = await master.command('INFO', 'replication');
        const replica = /slave\d+:ip=[^,]+,port=(\d+),state=online/.exec(info)?.[1];
        if (replica === undefined) throw new Error(`no online replica of ${port}: ${info}`);
        return Number(replica);
      },
      { timeout: 20_000, interval: 100 },
    );
    const replica = cluster.server(replicaPort);
    // A manual failover that times out (the replica did not catch up in time) is asked again.
    for (let attempt = 1; ; attempt++) {
      await replica.command('CLUSTER', 'FAILOVER');
      try {
        await vi.waitFor(
          async () => expect(await replica.command('INFO', 'replication')).toMatch(/role:master/),
          { timeout: 8_000, interval: 50 },
        );
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    // Done once the old master is a replica: until then, it describes the old epoch to a client
    // that asks it.
    await vi.waitFor(
      async () => expect(await master.command('INFO', 'replication')).toMatch(/role:slave/),
      { timeout: 20_000, interval: 50 },
    );
    await cluster.waitUntilHealthy();
    return replicaPort;
  }

  /**
   * Waits until `process` sends the slots `moved` to the master on `port`, as after its next
   * redirect: until then, commands for several of them in one pipeline fail with `MOVED`.
   */
  async function learnSlots(process: Process, moved: Slots, port: number): Promise<void> {
    const client = process.redis.client as Cluster;
    await vi.waitFor(
      async () => {
        await new Promise<void>(resolve => client.refreshSlotsCache(() => resolve()));
        expect(client.slots[moved[0]![0]]?.[0]).toBe(`127.0.0.1:${port}`);
      },
      { timeout: 10_000 },
    );
  }

  /** The epochs in the store's record (none before it was kept). */
  async function recorded(): Promise<string[]> {
    const master = await cluster.masterOf(keySlot(EPOCHS_KEY));
    const reply = await master.command('ZRANGE', EPOCHS_KEY, '0', '-1');
    return reply.split('\n').filter(line => line !== '');
  }

  /** A fill whose factory has read its (old) data and waits to be let go. */
  function slowFill(process: Process, key: string, model: string) {
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    let started = false;
    const done = process.cache.getOrSet(
      key,
      async () => {
        started = true;
        await gate;
        return 'old';
      },
      { models: [model] },
    );
    return {
      started: () => vi.waitFor(() => expect(started).toBe(true), { timeout: 10_000 }),
      finish: async () => {
        release();
        return done;
      },
    };
  }

  /**
   * Waits until `process` is in the epoch a process started now finds (which is not `old`), and
   * returns it: a process that noticed the failover before learning the new slots passes through
   * another epoch on the way.
   */
  async function newEpoch(process: Process, old: string): Promise<string> {
    // Under load the process (or a probe) may still see a master list in transition: ask a new
    // probe each time until both agree.
    return vi.waitFor(
      async () => {
        const epoch = await settledEpoch();
        expect(epoch).not.toBe(old);
        await vi.waitFor(() => expect(process.redis.epoch()).toBe(epoch), { timeout: 5_000 });
        return epoch;
      },
      { timeout: 40_000, interval: 200 },
    );
  }

  /**
   * The epoch a process started now finds. The probe is closed at once: left running across a
   * failover, it would notice it before learning the new slots, and record an epoch of its own.
   */
  async function settledEpoch(): Promise<string> {
    await cluster.waitUntilHealthy();
    const probe = await start(uniquePrefix('epoch_probe'));
    const epoch = probe.redis.epoch()!;
    await modules.pop()!.close();
    return epoch;
  }

  it('removes the old epoch tokens a lagging process still reads', async () => {
    const epoch0 = await settledEpoch();
    const { keyPrefix, model, key, spare, avoid } = await layout([epoch0]);
    const current = await start(keyPrefix);
    const lagging = await start(keyPrefix);
    expect([current.redis.epoch(), lagging.redis.epoch()]).toEqual([epoch0, epoch0]);
    lagging.freezeEpoch();

    // The lagging process read its tokens, then its data, before the save.
    const fill = slowFill(lagging, key, model);
    await fill.started();
    await learnSlots(current, avoid, await failover(spare));
    await newEpoch(current, epoch0);

    await current.cache.invalidate(model);
    expect(await fill.finish()).toBe('old');
    expect(await lagging.cache.getOrSet(key, () => 'new', { models: [model] })).toBe('new');
    // It never noticed the new epoch: the old epoch's token was what outdated its value.
    expect(lagging.redis.epoch()).toBe(epoch0);
  }, 120_000);

  it('removes them too when invalidating from a process started after the failover', async () => {
    const epoch0 = await settledEpoch();
    const { keyPrefix, model, key, spare } = await layout([epoch0]);
    const lagging = await start(keyPrefix);
    expect(lagging.redis.epoch()).toBe(epoch0);
    lagging.freezeEpoch();

    const fill = slowFill(lagging, key, model);
    await fill.started();
    await failover(spare);
    const late = await start(keyPrefix);
    expect(late.redis.epoch()).not.toBe(epoch0);

    await late.cache.invalidate(model);
    expect(await fill.finish()).toBe('old');
    expect(await lagging.cache.getOrSet(key, () => 'new', { models: [model] })).toBe('new');
    expect(lagging.redis.epoch()).toBe(epoch0);
  }, 120_000);

  it('removes the new epoch tokens when the lagging process invalidates', async () => {
    const epoch0 = await settledEpoch();
    const { keyPrefix, avoid, spare } = await layout([epoch0]);
    const current = await start(keyPrefix);
    const lagging = await start(keyPrefix);
    expect([current.redis.epoch(), lagging.redis.epoch()]).toEqual([epoch0, epoch0]);
    lagging.freezeEpoch();

    await learnSlots(current, avoid, await failover(spare));
    const epoch1 = await newEpoch(current, epoch0);
    // Keys off the master that failed over in every epoch: the lagging process is sent no MOVED.
    const epochs = [...new Set([epoch0, epoch1, ...(await recorded())])];
    const { model, key } = await layout(epochs, { keyPrefix, avoid });
    // The process in the new epoch read its tokens, then its data, before the save.
    const fill = slowFill(current, key, model);
    await fill.started();

    expect(lagging.redis.epoch()).toBe(epoch0);
    await lagging.cache.invalidate(model);
    expect(await fill.finish()).toBe('old');
    expect(await current.cache.getOrSet(key, () => 'new', { models: [model] })).toBe('new');
    // In the same epoch throughout: the new epoch's token was what outdated its value.
    expect(current.redis.epoch()).toBe(epoch1);
  }, 120_000);
});
