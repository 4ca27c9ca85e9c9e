import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { encodeEntry, type PageMeta } from '../../libs/page-cache/src/codec.js';
import { DependencyTracker } from '../../libs/page-cache/src/dependency-tracker.js';
import { generationKey } from '../../libs/page-cache/src/keys.js';
import { lookupPage } from '../../libs/page-cache/src/pages/lookup.js';
import { keySlot } from '../../libs/page-cache/src/stores/cluster-slots.js';
import { RedisStore } from '../../libs/page-cache/src/stores/redis.store.js';
import { RedisCluster } from '../support/redis-cluster.js';
import type { RedisServer } from '../support/redis-server.js';

/**
 * On a Cluster, a failover between nodes the client is already connected to changes the masters
 * without closing or opening a connection (ioredis' ConnectionPool only flips the node's role, and
 * follows the MOVED redirect at once). A replica that missed acknowledged writes must not serve
 * them: the redirect forgets the epoch, and the new master is a new epoch.
 */
describe('a Redis Cluster failover between nodes the client is connected to', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster.stop();
  });

  /**
   * The replica following `master`, as the master itself reports it (`INFO replication`): another
   * node's `CLUSTER NODES` may not have heard of the replica yet right after a start or failover.
   */
  async function replicaOf(master: RedisServer): Promise<RedisServer> {
    const port = await vi.waitFor(
      async () => {
        const info = await master.command('INFO', 'replication');
        const port = /slave\d+:ip=[^,]+,port=(\d+),state=online/.exec(info)?.[1];
        if (port === undefined) throw new Error(`no online replica of ${master.port}: ${info}`);
        return port;
      },
      { timeout: 20_000, interval: 100 },
    );
    return cluster.server(Number(port));
  }
  async function failover(to: RedisServer, mode: string[] = []): Promise<void> {
    await to.command('CLUSTER', 'FAILOVER', ...mode);
    await vi.waitFor(
      async () => expect(await to.command('INFO', 'replication')).toMatch(/role:master/),
      { timeout: 20_000, interval: 50 },
    );
    await cluster.waitUntilHealthy();
  }

  it('never serves a page whose invalidation was acknowledged, after a TAKEOVER that lost it', async () => {
    client = new Cluster(cluster.nodes);
    const store = new RedisStore(client);
    await store.epochReady(5_000);
    const ns = 'rv:1';
    const tracker = new DependencyTracker(store, ns);

    // A dependency whose token key and a page key live in the same slot's shard: pick the page
    // key by hash tag so both are on one master.
    const dep = 'Post';
    const epoch0 = store.epoch()!;
    const tokenSlot = keySlot(generationKey(ns, dep, epoch0));
    const m = await cluster.masterOf(tokenSlot);
    const r = await replicaOf(m);

    // Fail over to r and back (graceful, nothing lost), so that the client holds open connections
    // to both; each time a command is sent to trigger the MOVED and the slots refresh.
    await failover(r);
    await client.get('warm').catch(() => undefined);
    for (let i = 0; i < 20; i++) await client.get(`k${i}`).catch(() => undefined);
    await sleep(1_500);
    await failover(m);
    for (let i = 0; i < 20; i++) await client.get(`k${i}`).catch(() => undefined);
    await sleep(1_500);

    // The failovers above changed the masters, and ioredis drops the connections it no longer
    // needs for a while after: set the page up once the epoch has settled, again if it moves.
    let setUp: { tokenKey: string; pageKey: string; owner: RedisServer } | undefined;
    for (let attempt = 0; setUp === undefined; attempt++) {
      if (attempt === 20) throw new Error('the epoch never settled');
      await sleep(200);
      const epoch = store.epoch();
      if (epoch === undefined) continue;
      const tokenKey = generationKey(ns, dep, epoch);
      const body = 'old data';
      let owner: RedisServer;
      let pageKey = '';
      try {
        // The page key in the token's shard: a variant whose slot the same master serves (the
        // node asked may not have heard of a failover yet: then start again).
        owner = await cluster.masterOf(keySlot(tokenKey));
        const topo = await cluster.topology();
        const ranges = topo.find(n => n.port === owner.port)?.slots ?? [];
        for (let i = 0; pageKey === '' && i < 1_000_000; i++) {
          const candidate = `${ns}:page:v:${dep}:${i}`;
          const slot = keySlot(candidate);
          if (ranges.some(([a, b]) => slot >= a && slot <= b)) pageKey = candidate;
        }
        if (pageKey === '') continue;
        const generations = await tracker.generationsForWrite([dep]);
        const meta: PageMeta = {
          k: 'page',
          s: 200,
          h: [],
          e: '"e"',
          t: Date.now(),
          l: 0,
          r: 1,
          b: createHash('sha256').update(body).digest('base64url').slice(0, 22),
          d: [dep],
          g: generations,
        };
        const bytes = encodeEntry(meta, Buffer.from(body));
        if (!(await tracker.write(pageKey, bytes, 0, [dep], generations))) continue;
        const found = await lookupPage(store, tracker, { key: pageKey, deps: [dep] }, 1 << 20);
        if (found.page?.body.toString() !== body || store.epoch() !== epoch) continue;
      } catch {
        continue; // a connection changed under the setup: start it again
      }
      setUp = { tokenKey, pageKey, owner };
    }
    const { tokenKey, pageKey, owner } = setUp;
    const follower = await replicaOf(owner);
    const at = { key: pageKey, deps: [dep] };
    await sleep(300); // replicated to the follower

    // The save's invalidation is acknowledged by the master but never reaches its replica
    // (asynchronous replication; simulated with REPL_NONE): new token, page removed.
    const lost = `redis.set_repl(redis.REPL_NONE) redis.call('SET', KEYS[1], ARGV[1]) return 1`;
    await owner.command('EVAL', lost, '1', tokenKey, randomBytes(12).toString('base64url'));
    await owner.command(
      'EVAL',
      `redis.set_repl(redis.REPL_NONE) return redis.call('DEL', KEYS[1])`,
      '1',
      pageKey,
    );
    expect((await lookupPage(store, tracker, at, 1 << 20)).page).toBeUndefined();

    // The replica takes over without the master's agreement (as after a partition).
    await failover(follower, ['TAKEOVER']);
    const seen: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) {
      const found = await lookupPage(store, tracker, at, 1 << 20);
      seen.push(
        `${Date.now() - t0}ms:${found.page ? found.page.body.toString() : found.generations ? 'miss' : 'down'}:${store.epoch()}`,
      );
      await sleep(10);
    }
    expect(seen.filter(s => s.includes('old data'))).toEqual([]);
  }, 120_000);
});
