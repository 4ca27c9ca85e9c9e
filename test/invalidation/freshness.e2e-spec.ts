import { EventEmitter2 } from '@nestjs/event-emitter';
import { Cluster, Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheService, ENTITY_SAVED, type CacheModuleOptions } from 'nestjs-page-cache';
import { DependencyTracker } from '../../libs/page-cache/src/dependency-tracker.js';
import { Article, ArticleTable, BlogModule } from '../fixtures/invalidation/blog.fixture.js';
import { redisOption } from '../support/backends.js';
import { fetchPage } from '../support/fetch-page.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { RedisServer } from '../support/redis-server.js';

const STORES: [string, () => CacheModuleOptions][] = [
  ['redis', () => ({ redis: redisOption('redis'), keyPrefix: uniquePrefix('fresh') })],
  ['cluster', () => ({ redis: redisOption('cluster'), keyPrefix: uniquePrefix('fresh') })],
  ['memory', () => ({ store: 'memory', keyPrefix: uniquePrefix('fresh') })],
];

async function boot(table: ArticleTable, options: CacheModuleOptions): Promise<RunningApp> {
  return startApp('express', BlogModule.with(table, options));
}

async function text(
  app: RunningApp,
  path: string,
): Promise<{ cache: string | null; body: string }> {
  const { cache, text } = await fetchPage(app, path);
  return { cache, body: text };
}

/**
 * The race of the seed design: a request misses and reads the old row; the row is saved and its
 * invalidation returns; then the request stores the page it computed from the old row.
 * Returns what the page looks like afterwards.
 */
async function raceSaveAgainstRender(app: RunningApp, table: ArticleTable): Promise<string[]> {
  let release!: () => void;
  const gate = new Promise<void>(resolve => (release = resolve));
  let read!: () => void;
  const hasRead = new Promise<void>(resolve => (read = resolve));
  table.afterRead = async () => {
    table.afterRead = () => Promise.resolve();
    read();
    await gate;
  };
  const slow = text(app, '/articles/1');
  await hasRead;
  table.rows.get(1)!.title = 'saved';
  await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, table.rows.get(1));
  release();
  expect((await slow).body).toBe('1:title 1 v0');
  const after = [await text(app, '/articles/1'), await text(app, '/articles/1')];
  return after.map(r => `${r.cache} ${r.body}`);
}

describe.each(STORES)('freshness guarantee on the %s store', (_name, options) => {
  let table: ArticleTable;
  let app: RunningApp;

  beforeEach(async () => {
    table = new ArticleTable();
    app = await boot(table, options());
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it('never keeps a page computed from data read before a save whose invalidation returned', async () => {
    expect(await raceSaveAgainstRender(app, table)).toEqual(['MISS 1:saved', 'HIT 1:saved']);
  });

  it('serves the stale page when the generation guard is disabled (the test can fail)', async () => {
    vi.spyOn(DependencyTracker, 'isCurrent').mockReturnValue(true);
    expect(await raceSaveAgainstRender(app, table)).toEqual([
      'HIT 1:title 1 v0',
      'HIT 1:title 1 v0',
    ]);
  });
});

/**
 * Readers and writers run concurrently; handlers pause between reading a row and answering.
 * Writers save rows (an entity event clears the model-keyed pages and the cached values) and
 * expire the row's plain page with `expirePage()`. Once everything has settled, every page and
 * value the cache serves must equal what the handler renders now.
 */
async function stress(app: RunningApp, table: ArticleTable, filler?: () => Promise<void>) {
  const events = app.app.get(EventEmitter2);
  const cache = app.app.get(CacheService);
  const ids = [...table.rows.keys()];
  const paths = [
    '/articles',
    ...ids.flatMap(id => [`/articles/${id}`, `/articles/${id}/plain`, `/articles/${id}/value`]),
  ];
  table.afterRead = () => sleep(Math.random() * 4);
  let version = 0;
  const writer = async () => {
    for (let i = 0; i < 25; i++) {
      const row = table.rows.get(ids[Math.floor(Math.random() * ids.length)])!;
      row.title = `v${++version}`;
      await Promise.all([
        events.emitAsync(ENTITY_SAVED, row),
        cache.expirePage(`/articles/${row.id}/plain`),
      ]);
      await sleep(Math.random() * 5);
    }
  };
  const reader = async () => {
    for (let i = 0; i < 60; i++) {
      const response = await app.get(paths[Math.floor(Math.random() * paths.length)]);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  };
  await Promise.all([
    writer(),
    writer(),
    writer(),
    reader(),
    reader(),
    reader(),
    reader(),
    filler?.(),
  ]);
  table.afterRead = () => Promise.resolve();
  for (const path of paths) {
    const expected =
      path === '/articles' ? table.renderList() : table.renderOne(Number(path.split('/')[2]));
    const first = await text(app, path);
    const second = await text(app, path);
    expect({ path, body: first.body }).toEqual({ path, body: expected });
    expect({ path, body: second.body, cache: second.cache }).toEqual({
      path,
      body: expected,
      // Values are not pages: the page cache stays out of their route.
      cache: path.endsWith('/value') ? null : 'HIT',
    });
  }
}

/** Writes 6 MB of unrelated values, so that a small maxmemory evicts keys throughout. */
async function fillMemory(client: Redis | Cluster): Promise<void> {
  const big = 'x'.repeat(20_000);
  for (let i = 0; i < 300; i++) {
    await client.set(`filler:${i}`, big);
    if (i % 20 === 0) await sleep(1);
  }
}

describe('randomized stress: concurrent readers and writers', () => {
  it.each(STORES)('leaves only fresh pages on the %s store', async (_name, options) => {
    const table = new ArticleTable(8);
    const app = await boot(table, options());
    try {
      await stress(app, table);
    } finally {
      await app.app.get(CacheService).clear();
      await app.close();
    }
  });

  it('leaves only fresh pages while Redis evicts keys (maxmemory + allkeys-lru)', async () => {
    const server = await RedisServer.start({
      args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru', '--maxmemory-samples', '3'],
    });
    const table = new ArticleTable(8);
    const app = await boot(table, { redis: server.url, keyPrefix: 'evict' });
    const filler = new Redis(server.url);
    try {
      await stress(app, table, () => fillMemory(filler));
      const stats = await server.command('INFO', 'stats');
      const evicted = Number(/evicted_keys:(\d+)/.exec(stats)?.[1]);
      expect(evicted).toBeGreaterThan(0);
    } finally {
      filler.disconnect();
      await app.close();
      await server.stop();
    }
  });

  it('leaves only fresh pages while a Redis Cluster evicts keys on every master', async () => {
    // A cluster node uses about 2 MB by itself (1 MB standalone): 3 MB leaves the same headroom.
    const cluster = await RedisCluster.start({
      args: ['--maxmemory', '3mb', '--maxmemory-policy', 'allkeys-lru', '--maxmemory-samples', '3'],
    });
    const table = new ArticleTable(8);
    const app = await boot(table, { redis: { cluster: cluster.nodes }, keyPrefix: 'evict' });
    const filler = new Cluster(cluster.nodes);
    try {
      await stress(app, table, () => fillMemory(filler));
      const evicted = (await cluster.onMasters('INFO', 'stats')).map(stats =>
        Number(/evicted_keys:(\d+)/.exec(stats)?.[1]),
      );
      expect(evicted.every(count => count > 0)).toBe(true);
    } finally {
      filler.disconnect();
      await app.close();
      await cluster.stop();
    }
  });

  it('leaves only fresh pages while the memory store evicts entries', async () => {
    const table = new ArticleTable(8);
    const app = await boot(table, { store: 'memory', memory: { maxEntries: 12 } });
    try {
      await stress(app, table);
    } finally {
      await app.close();
    }
  });
});

describe('invalidation cost does not depend on the keyspace size', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--enable-debug-command', 'yes'] });
  });
  afterAll(() => server.stop());

  async function commandsOfOneInvalidation(unrelated: number): Promise<Record<string, number>> {
    await server.command('FLUSHALL');
    await server.command('DEBUG', 'POPULATE', String(unrelated), 'unrelated', '16');
    const table = new ArticleTable(10);
    const app = await boot(table, { redis: server.url, keyPrefix: 'cost' });
    try {
      for (const path of ['/articles', ...[...table.rows.keys()].map(id => `/articles/${id}`)]) {
        await app.get(path);
      }
      const cache = app.app.get(CacheService);
      // Fill locks are released after their responses: none of those writes may be counted.
      await vi.waitFor(async () => expect(await server.command('KEYS', 'cost:*~fill:*')).toBe(''));
      await server.command('CONFIG', 'RESETSTAT');
      expect(await cache.invalidate(Article)).toBe(11);
      const info = await server.command('INFO', 'commandstats');
      const calls: Record<string, number> = {};
      for (const match of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
        if (match[1] !== 'info' && match[1] !== 'config') calls[match[1]] = Number(match[2]);
      }
      return calls;
    } finally {
      await app.close();
    }
  }

  it('issues the same commands with 10k and with 200k unrelated keys, none of them SCAN or KEYS', async () => {
    const small = await commandsOfOneInvalidation(10_000);
    const large = await commandsOfOneInvalidation(200_000);
    expect(
      Number(/keys=(\d+)/.exec(await server.command('INFO', 'keyspace'))?.[1]),
    ).toBeGreaterThan(200_000);
    expect(large).toEqual(small);
    expect(Object.keys(small)).not.toContain('scan');
    expect(Object.keys(small)).not.toContain('keys');
    expect(Object.keys(small).length).toBeGreaterThan(0);
  });
});

describe('invalidation cost on a Redis Cluster does not depend on the keyspace size', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ args: ['--enable-debug-command', 'yes'] });
  });
  afterAll(() => cluster.stop());

  /** Commands of one invalidation, summed over the masters. */
  async function commandsOfOneInvalidation(unrelated: number): Promise<Record<string, number>> {
    const masters = await cluster.masters();
    await Promise.all(masters.map(master => master.command('FLUSHALL')));
    await Promise.all(
      masters.map((master, i) =>
        master.command(
          'DEBUG',
          'POPULATE',
          String(Math.round(unrelated / masters.length)),
          `unrelated${i}`,
          '16',
        ),
      ),
    );
    const table = new ArticleTable(10);
    const app = await boot(table, { redis: { cluster: cluster.nodes }, keyPrefix: 'cost' });
    try {
      for (const path of ['/articles', ...[...table.rows.keys()].map(id => `/articles/${id}`)]) {
        await app.get(path);
      }
      const cache = app.app.get(CacheService);
      // Fill locks are released after their responses: wait for those writes (and their
      // announcements) to be done before counting, so that none of them is counted.
      await vi.waitFor(async () => {
        const locks = await Promise.all(
          masters.map(master => master.command('KEYS', 'cost:*~fill:*')),
        );
        expect(locks.join('')).toBe('');
      });
      await Promise.all(masters.map(master => master.command('CONFIG', 'RESETSTAT')));
      expect(await cache.invalidate(Article)).toBe(11);
      const calls: Record<string, number> = {};
      for (const master of masters) {
        const info = await master.command('INFO', 'commandstats');
        for (const match of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
          // INFO and CONFIG are this test's; CLUSTER is the client refreshing its slot map.
          if (['info', 'config', 'cluster'].includes(match[1].split('|')[0])) continue;
          calls[match[1]] = (calls[match[1]] ?? 0) + Number(match[2]);
        }
      }
      return calls;
    } finally {
      await app.close();
    }
  }

  it('issues the same commands with 10k and with 200k unrelated keys, none of them SCAN or KEYS', async () => {
    const small = await commandsOfOneInvalidation(10_000);
    const large = await commandsOfOneInvalidation(200_000);
    const keys = (await cluster.onMasters('INFO', 'keyspace')).map(info =>
      Number(/keys=(\d+)/.exec(info)?.[1]),
    );
    expect(keys.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(200_000);
    expect(large).toEqual(small);
    expect(Object.keys(small)).not.toContain('scan');
    expect(Object.keys(small)).not.toContain('keys');
    expect(Object.keys(small).length).toBeGreaterThan(0);
  });
});
