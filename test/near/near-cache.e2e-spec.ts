import { CacheService, CacheStore, type CacheModuleOptions } from 'nestjs-page-cache';
import { NearNames } from '../../libs/page-cache/src/near/near-names.js';
import type { NearStore } from '../../libs/page-cache/src/near/near.store.js';
import { Redis } from 'ioredis';
import { registerCacheMetrics } from 'nestjs-page-cache/prometheus';
import { Registry } from 'prom-client';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { nearData, nearModule } from '../fixtures/near/near.fixture.js';
import { fetchPage, json } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type AdapterName, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { freePort } from '../support/free-port.js';

/** Short, so that the tests that wait for a lease to run out are quick. */
const LEASE = '1s' as const;

/**
 * Every command Redis receives (`MONITOR`), to show what a read sent. Read off a plain socket:
 * ioredis' own monitor mode can take a line that arrives with the `OK` of MONITOR for a reply.
 */
class CommandLog {
  private readonly seen: string[][] = [];
  private buffered = '';
  private constructor(
    private readonly monitor: Socket,
    private readonly marker: Redis,
  ) {
    monitor.setEncoding('latin1');
    monitor.on('data', (chunk: string) => {
      const lines = (this.buffered + chunk).split('\r\n');
      this.buffered = lines.pop()!;
      for (const line of lines)
        if (line.startsWith('+') && line !== '+OK') this.seen.push(args(line));
    });
  }

  static async open(url: string): Promise<CommandLog> {
    // A restart of the server closes both: the test that restarts it reads no log afterwards.
    const marker = new Redis(url).on('error', () => undefined);
    const { hostname, port } = new URL(url);
    const monitor = connect(Number(port), hostname).on('error', () => undefined);
    await once(monitor, 'connect');
    monitor.write('MONITOR\r\n');
    return new CommandLog(monitor, marker);
  }

  /**
   * The commands that named a key under `prefix` while `action` ran: a marker is echoed after
   * it, and everything Redis received before the marker is counted.
   */
  async during(prefix: string, action: () => Promise<unknown>): Promise<string[][]> {
    const mark = (name: string) => this.marker.echo(name).then(() => this.until(name));
    const start = `start-${performance.now()}`;
    const end = `end-${performance.now()}`;
    await mark(start);
    await action();
    await mark(end);
    const from = this.seen.findIndex(args => args[1] === start);
    const to = this.seen.findIndex(args => args[1] === end);
    return this.seen
      .slice(from + 1, to)
      .filter(args => args.some(arg => String(arg).startsWith(`${prefix}:`)));
  }

  private until(name: string): Promise<void> {
    return vi.waitFor(() => expect(this.seen.some(args => args[1] === name)).toBe(true), {
      timeout: 5_000,
      interval: 5,
    });
  }

  close(): void {
    this.monitor.destroy();
    this.marker.disconnect();
  }
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };

/** The arguments of a MONITOR line: `+<time> [<db> <client>] "cmd" "arg" …` (escapes undone). */
function args(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(([, quoted]) =>
    quoted!.replace(/\\(x[0-9a-f]{2}|.)/g, (_, escape: string) =>
      escape.length === 3
        ? String.fromCharCode(parseInt(escape.slice(1), 16))
        : (ESCAPES[escape] ?? escape),
    ),
  );
}

describe('near cache on a real Redis', () => {
  let server: RedisServer;
  let log: CommandLog;
  const apps: RunningApp[] = [];
  let prefix: string;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.kill();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('near');
    nearData.version = 1;
    nearData.renders = 0;
    log = await CommandLog.open(server.url);
  });
  afterEach(async () => {
    log.close();
    await Promise.all(apps.splice(0).map(app => app.close()));
  });

  async function start(
    near: CacheModuleOptions['near'],
    adapter: AdapterName = 'express',
    redis = server.url,
  ): Promise<RunningApp> {
    const app = await startApp(adapter, nearModule(redis, prefix, near));
    apps.push(app);
    if (near !== false) await untilLeaseHeld(app);
    return app;
  }
  const cache = (app: RunningApp) => app.app.get(CacheService);
  const nearStats = (app: RunningApp) => cache(app).stats().near!;
  const untilLeaseHeld = (app: RunningApp) =>
    vi.waitFor(() => expect(nearStats(app).lease).toBe('held'), { timeout: 5_000, interval: 10 });
  const nearStore = (app: RunningApp) => app.app.get<symbol, NearStore>(CacheStore);
  /** An app holding a lease, and a key written straight to Redis (not held near yet). */
  async function startWithKey(): Promise<{ a: RunningApp; key: string }> {
    const a = await start({ lease: LEASE });
    const key = `${namespace()}:flight`;
    const writer = new Redis(server.url);
    await writer.set(key, 'v1', 'PX', 60_000);
    writer.disconnect();
    return { a, key };
  }

  /**
   * Holds the announcements A hears until `announcer`'s app is seen waiting for acks (its
   * `awaitAcks` still pending after the current microtasks): if the invalidation did not wait,
   * it resolves while A has not dropped anything, and A's next read shows it.
   */
  function holdUntilWaited(a: RunningApp, announcer: RunningApp): () => void {
    const holder = nearStore(a).holder as unknown as { announced(message: string): void };
    const handle = holder.announced.bind(holder);
    const held: string[] = [];
    let holding = true;
    const release = () => {
      holding = false;
      for (const message of held.splice(0)) handle(message);
    };
    holder.announced = message => (holding ? held.push(message) : handle(message));
    const waits = nearStore(announcer).announcer;
    const awaitAcks = Object.getPrototypeOf(waits).awaitAcks as typeof waits.awaitAcks;
    waits.awaitAcks = function (sequence, holders) {
      const waiting = awaitAcks.call(this, sequence, holders);
      let settled = false;
      void waiting.then(() => (settled = true));
      void Promise.resolve()
        .then(() => undefined)
        .then(() => (settled ? undefined : release()));
      return waiting;
    };
    return release;
  }

  /** `@CachePage` keys are `{prefix}:1:…`: the commands that touch the cache's data. */
  const namespace = () => `${prefix}:1`;

  describe.each(ADAPTERS)('on %s', adapter => {
    it.each([
      ['the early path', '/near/page', 'NearController.page', 2],
      ["Nest's pipeline (a guarded route)", '/near/guarded', 'NearController.guarded', 0],
    ] as const)(
      'a page hit on %s: the second is answered from near copies, 0 commands to Redis',
      async (_path, path, view, earlyHits) => {
        const a = await start({ lease: LEASE }, adapter);
        expect((await fetchPage(a, path)).cache).toBe('MISS');
        const first = await log.during(namespace(), () => fetchPage(a, path));
        // The hit that installed the copies read them from Redis.
        expect(first.length).toBeGreaterThan(0);
        let page!: Awaited<ReturnType<typeof fetchPage>>;
        const second = await log.during(namespace(), async () => {
          page = await fetchPage(a, path);
        });
        expect(second).toEqual([]);
        expect(page.cache).toBe('HIT');
        expect(json(page)).toEqual({ version: 1 });
        expect(cache(a).stats().views[view]).toMatchObject({ hits: 2, earlyHits });
        expect(nearStats(a).hits).toBeGreaterThan(0);
      },
    );
  });

  it('Prometheus shows the near figures of a cache that keeps copies, and none of one that does not', async () => {
    const a = await start({ lease: LEASE });
    const plain = await start(false);
    await cache(a).getOrSet('post', () => 1);
    await cache(a).getOrSet('post', () => 1);
    const registry = new Registry();
    registerCacheMetrics([cache(a)], { registry });
    const sample = async (name: string) =>
      (await registry.getSingleMetric(`nestjs_page_cache_${name}`)!.get()).values;
    expect((await sample('near_hits_total'))[0]!.value).toBe(nearStats(a).hits);
    expect((await sample('near_lease_held'))[0]!.value).toBe(1);
    expect((await sample('near_bytes'))[0]!.value).toBeGreaterThan(0);
    const other = new Registry();
    registerCacheMetrics([cache(plain)], { registry: other });
    expect(
      (await other.getSingleMetric('nestjs_page_cache_near_hits_total')!.get()).values,
    ).toEqual([]);
  });

  it('getOrSet read twice: the second sends 0 commands to Redis', async () => {
    const a = await start({ lease: LEASE });
    const factory = vi.fn(() => ({ version: nearData.version }));
    await cache(a).getOrSet('post', factory, { models: ['Post'] });
    await cache(a).getOrSet('post', factory, { models: ['Post'] });
    const commands = await log.during(namespace(), () =>
      cache(a).getOrSet('post', factory, { models: ['Post'] }),
    );
    expect(commands).toEqual([]);
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('reads of the same keys in flight are sent once: ten requests for an expired copy, one GET', async () => {
    const { a, key } = await startWithKey();
    const reads: (Buffer | undefined)[] = [];
    const commands = await log.during(namespace(), async () => {
      const all = Array.from({ length: 10 }, () => nearStore(a).get(key));
      reads.push(...(await Promise.all(all)));
    });
    expect(reads.map(value => value?.toString())).toEqual(Array(10).fill('v1'));
    expect(commands.map(([name]) => name!.toLowerCase()).sort()).toEqual(['get', 'pttl']);
  });

  it('a read in flight is not joined once one of its keys was dropped: the later read sends its own', async () => {
    const { a, key } = await startWithKey();
    const store = nearStore(a);
    const commands = await log.during(namespace(), async () => {
      const first = store.get(key);
      // As an announcement heard while the first read is in flight does: its answer may be older.
      store.holder!.copies.drop([key]);
      const second = store.get(key);
      await Promise.all([first, second]);
    });
    expect(commands.filter(([name]) => name!.toLowerCase() === 'get')).toHaveLength(2);
  });

  it('a delete and its announcement are one script call: the key is deleted inside it', async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    await cache(b).set('greeting', 'hello');
    expect(await cache(a).get('greeting')).toBe('hello');
    const commands = await log.during(namespace(), () => cache(b).delete('greeting'));
    // The script (sent by its text the first time), then what it ran (MONITOR shows a script's
    // commands after it).
    expect(commands.map(([name]) => name!.toLowerCase().replace('evalsha', 'eval'))).toEqual([
      'eval',
      'unlink',
    ]);
    expect(commands[0]).toContain(`${namespace()}:greeting`);
    expect(await cache(a).get('greeting')).toBeUndefined();
  });

  it('invalidate() is one script call: the tokens, the index read, its entries deleted inside it', async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    await fetchPage(a, '/near/page');
    await fetchPage(a, '/near/page');
    const held = nearStats(a).copies;
    const commands = await log.during(namespace(), async () => {
      expect(await cache(b).invalidate('Post')).toBe(1);
    });
    const names = commands.map(([name]) => name!.toLowerCase());
    expect(names.filter(name => name.startsWith('eval'))).toHaveLength(1);
    expect(names).not.toContain('sscan');
    expect(names).not.toContain('srem');
    // One announcement for all: A dropped the token and the page before B resolved.
    expect(nearStats(a).copies).toBe(held - 2);
  });

  it("B's invalidate resolves only after A dropped its copies: A's next read is fresh", async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    const value = () =>
      cache(a).getOrSet('post', () => ({ version: nearData.version }), {
        models: ['Post'],
      });
    await fetchPage(a, '/near/page');
    await fetchPage(a, '/near/page');
    await value();
    await value();
    expect(nearStats(a).copies).toBeGreaterThan(0);
    nearData.version = 2;
    const release = holdUntilWaited(a, b);
    try {
      const started = performance.now();
      await cache(b).invalidate('Post');
      // Acknowledged, not waited out: far below the 5s lease.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(nearStats(b).invalidationWaits.count).toBeGreaterThan(0);
      expect(await value()).toEqual({ version: 2 });
      expect(json(await fetchPage(a, '/near/page'))).toEqual({ version: 2 });
    } finally {
      release();
    }
  });

  it('an invalidation waits for the holders once: the entries it then removes are outdated by its tokens already', async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    const value = () =>
      cache(a).getOrSet('post', () => ({ version: nearData.version }), { models: ['Post'] });
    await fetchPage(a, '/near/page');
    await fetchPage(a, '/near/page');
    await value();
    await value();
    const held = nearStats(a).copies;
    const waits = nearStats(b).invalidationWaits.count;
    nearData.version = 2;
    // Removes the model's token (waited for) and then the page and the value built from it.
    expect(await cache(b).invalidate('Post')).toBe(2);
    expect(nearStats(b).invalidationWaits.count).toBe(waits + 1);
    // The entries' removal was announced all the same: A drops those copies too (the token and
    // the two entries; the page's URL token stays).
    await vi.waitFor(() => expect(nearStats(a).copies).toBe(held - 3), { timeout: 5_000 });
    expect(await value()).toEqual({ version: 2 });
    expect(json(await fetchPage(a, '/near/page'))).toEqual({ version: 2 });
  });

  it('a holder acknowledges only what is waited for: the tokens, not the entries removed after', async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    await fetchPage(a, '/near/page');
    await fetchPage(a, '/near/page');
    const held = nearStats(a).copies;
    const commands = await log.during(`{${namespace()}}:near`, async () => {
      expect(await cache(b).invalidate('Post')).toBe(1);
      // The entries' announcement was heard too (A dropped the page and its token).
      await vi.waitFor(() => expect(nearStats(a).copies).toBe(held - 2), { timeout: 5_000 });
    });
    const acks = commands.filter(
      ([name, channel]) => name!.toLowerCase() === 'publish' && channel!.includes(':near:ack:'),
    );
    expect(acks).toHaveLength(1);
  });

  it.each([
    ['a ping', 'HINCRBY'],
    ['the next announcement', 'PUBLISH'],
  ] as const)(
    'an announcement A never heard, though its channel stayed up, drops every copy at %s',
    async (_at, how) => {
      const a = await start({ lease: LEASE });
      await fetchPage(a, '/near/page');
      await fetchPage(a, '/near/page');
      expect(nearStats(a).copies).toBeGreaterThan(0);
      const admin = new Redis(server.url);
      try {
        const { life, invalidations } = new NearNames(namespace());
        const n = Number(await admin.hincrby(life, 'n', 1));
        // Announcement n is lost (a Cluster node's bus link, say): A learns of it from its next
        // ping, or from the number of the one after it.
        if (how === 'PUBLISH') {
          await admin.hincrby(life, 'n', 1);
          await admin.publish(invalidations, `${n + 1}|${JSON.stringify({ a: 'x', s: 1, k: [] })}`);
        }
        await vi.waitFor(() => expect(nearStats(a).copies).toBe(0), { timeout: 5_000 });
        expect(nearStats(a).lease).toBe('held');
      } finally {
        admin.disconnect();
      }
    },
  );

  it('with A cut off, B waits about the lease, not forever; A stops serving copies by its deadline', async () => {
    const proxy = await TcpProxy.start(server.port);
    try {
      const a = await start({ lease: LEASE }, 'express', proxy.url);
      const b = await start({ lease: LEASE });
      await fetchPage(a, '/near/page');
      await fetchPage(a, '/near/page');
      const hits = nearStats(a).hits;
      expect((await fetchPage(a, '/near/page')).cache).toBe('HIT');
      expect(nearStats(a).hits).toBe(hits + 1);
      proxy.drop();
      nearData.version = 2;
      const started = performance.now();
      await cache(b).invalidate('Post');
      const waited = performance.now() - started;
      // A's lease had at most 1s to run (plus the drift margin): never forever.
      expect(waited).toBeGreaterThan(200);
      expect(waited).toBeLessThan(2_500);
      await vi.waitFor(() => expect(nearStats(a).lease).toBe('lapsed'), { timeout: 2_000 });
      const lapsedHits = nearStats(a).hits;
      const page = await fetchPage(a, '/near/page');
      expect(json(page)).toEqual({ version: 2 });
      expect(nearStats(a).hits).toBe(lapsedHits);
    } finally {
      proxy.heal();
      await proxy.close();
    }
  });

  it('a Redis restart (a new epoch) drops every copy', async () => {
    const a = await start({ lease: LEASE });
    await fetchPage(a, '/near/page');
    await fetchPage(a, '/near/page');
    expect(nearStats(a).copies).toBeGreaterThan(0);
    await server.restart();
    await vi.waitFor(() => expect(nearStats(a).copies).toBe(0), { timeout: 5_000 });
    await untilLeaseHeld(a);
    nearData.version = 2;
    await vi.waitFor(async () => expect((await fetchPage(a, '/near/page')).cache).toBe('MISS'), {
      timeout: 5_000,
    });
  });

  it('after a Redis restart, B waits out a lease it has no record of: A, cut off, stops serving by then', async () => {
    const proxy = await TcpProxy.start(server.port);
    try {
      const a = await start({ lease: LEASE }, 'express', proxy.url);
      const b = await start({ lease: LEASE });
      await fetchPage(a, '/near/page');
      await fetchPage(a, '/near/page');
      expect((await fetchPage(a, '/near/page')).cache).toBe('HIT');
      // B writes while A's lease is on record (acknowledged at once).
      await cache(b).invalidate('Unrelated');
      proxy.drop();
      await server.restart();
      // B registered again with the new server (A, cut off, could not).
      const registry = new Redis(server.url);
      const holders = () => registry.zrange(`{${prefix}:1}:near:holders`, '0', '-1');
      await vi.waitFor(async () => expect(await holders()).toEqual([nearStore(b).holder!.id]), {
        timeout: 5_000,
        interval: 10,
      });
      registry.disconnect();
      await untilLeaseHeld(b);
      nearData.version = 2;
      const waits = nearStats(b).invalidationWaits.count;
      const started = performance.now();
      await cache(b).invalidate('Post');
      const waited = performance.now() - started;
      // The registry lost A's lease: B waits until a lease has passed since it started anew.
      expect(waited).toBeGreaterThan(300);
      expect(waited).toBeLessThan(2_500);
      expect(nearStats(b).invalidationWaits.count).toBe(waits + 1);
      expect(json(await fetchPage(a, '/near/page'))).toEqual({ version: 2 });
      // Past that first lease, a write that finds no holder to wait for resolves at once.
      await cache(b).invalidate('Post');
      expect(nearStats(b).invalidationWaits.count).toBe(waits + 1);
    } finally {
      proxy.heal();
      await proxy.close();
    }
  });

  it('a registry Redis lost (evicted, deleted) starts a new life: a write waits a lease, holders drop their copies', async () => {
    const a = await start({ lease: '2s' });
    const b = await start({ lease: '2s' });
    const value = () =>
      cache(a).getOrSet('post', () => ({ version: nearData.version }), { models: ['Post'] });
    await value();
    await value();
    const hits = nearStats(a).hits;
    expect(await value()).toEqual({ version: 1 });
    expect(nearStats(a).hits).toBeGreaterThan(hits);
    const admin = new Redis(server.url);
    try {
      // Evicted under memory pressure, say: A's lease is on no record until its next renewal.
      await admin.del(new NearNames(namespace()).holders);
    } finally {
      admin.disconnect();
    }
    nearData.version = 2;
    const waits = nearStats(b).invalidationWaits.count;
    await cache(b).invalidate('Post');
    expect(nearStats(b).invalidationWaits.count).toBe(waits + 1);
    expect(await value()).toEqual({ version: 2 });
  });

  it("B's add() of a key evicted under A's copy is announced: A reads B's value", async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    await cache(b).set('greeting', 'hello');
    expect(await cache(a).get('greeting')).toBe('hello');
    const hits = nearStats(a).hits;
    expect(await cache(a).get('greeting')).toBe('hello');
    expect(nearStats(a).hits).toBeGreaterThan(hits);
    const admin = new Redis(server.url);
    try {
      // Evicted (no write of the cache's, so nothing announced): A's copy outlives the key.
      const [key] = await admin.keys(`${prefix}:*greeting*`);
      expect(await admin.del(key!)).toBe(1);
    } finally {
      admin.disconnect();
    }
    expect(await cache(b).add('greeting', 'bonjour')).toBe(true);
    expect(await cache(a).get('greeting')).toBe('bonjour');
  });

  it("a write that failed but landed later (a timeout) is announced again: A's copy read meanwhile goes", async () => {
    const a = await start({ lease: '1s' });
    const b = await start({ lease: '1s' });
    await cache(b).set('greeting', 'hello');
    expect(await cache(a).get('greeting')).toBe('hello');
    const inner = nearStore(b).inner as { set: NearStore['set'] };
    const set = inner.set;
    let land!: () => Promise<unknown>;
    // The write fails for its caller at once, and reaches Redis only after A read again.
    inner.set = (key, value, ttlMs, options) => {
      land = () => set(key, value, ttlMs, options);
      return Promise.reject(new Error('Command timed out'));
    };
    try {
      await cache(b).set('greeting', 'bonjour');
    } finally {
      inner.set = set;
    }
    expect(await cache(a).get('greeting')).toBe('hello');
    await land();
    const hits = nearStats(a).hits;
    expect(await cache(a).get('greeting')).toBe('hello');
    // Read again before the write landed, the old value was copied near.
    expect(nearStats(a).hits).toBeGreaterThan(hits);
    await vi.waitFor(async () => expect(await cache(a).get('greeting')).toBe('bonjour'), {
      timeout: 5_000,
    });
  });

  it('a holder started while Redis is down holds its lease, and serves near, once Redis is up', async () => {
    const port = await freePort();
    const a = await startApp('express', nearModule(`redis://127.0.0.1:${port}`, prefix, true));
    apps.push(a);
    expect(nearStats(a).lease).toBe('lapsed');
    const late = await RedisServer.start({ port });
    try {
      await vi.waitFor(() => expect(nearStats(a).lease).toBe('held'), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await fetchPage(a, '/near/page')).cache).toBe('HIT'), {
        timeout: 10_000,
      });
      const hits = nearStats(a).hits;
      await fetchPage(a, '/near/page');
      expect(nearStats(a).hits).toBeGreaterThan(hits);
    } finally {
      await a.close();
      apps.splice(apps.indexOf(a), 1);
      await late.kill();
    }
  });

  it('a process leaves the registry at shutdown: invalidations no longer wait for it', async () => {
    const a = await start({ lease: '5s' });
    const b = await start({ lease: '5s' });
    const registry = new Redis(server.url);
    try {
      // Live ones: a holder that left stays lapsed (score 0) until a renewal sweeps it.
      const holders = () => registry.zrangebyscore(`{${prefix}:1}:near:holders`, 1, '+inf');
      const id = nearStore(a).holder!.id;
      expect(await holders()).toContain(id);
      await a.close();
      apps.splice(apps.indexOf(a), 1);
      expect(await holders()).not.toContain(id);
      const waits = nearStats(b).invalidationWaits.count;
      await cache(b).invalidate('Post');
      expect(nearStats(b).invalidationWaits.count).toBe(waits);
    } finally {
      registry.disconnect();
    }
  });

  it('a process without near still waits for the holders: its invalidate resolves after A dropped', async () => {
    const a = await start({ lease: '5s' });
    const plain = await start(false);
    expect(cache(plain).stats().near).toBeUndefined();
    await fetchPage(a, '/near/page');
    await fetchPage(a, '/near/page');
    const copies = nearStats(a).copies;
    expect(copies).toBeGreaterThan(0);
    nearData.version = 2;
    const release = holdUntilWaited(a, plain);
    try {
      await cache(plain).invalidate('Post');
      // Checked at once: A's token copy is gone before the invalidation resolved.
      expect(nearStats(a).copies).toBeLessThan(copies);
      expect(json(await fetchPage(a, '/near/page'))).toEqual({ version: 2 });
    } finally {
      release();
    }
  });
});
