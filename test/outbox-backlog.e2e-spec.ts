import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildApp, type ChildApp } from './support/child-app.js';
import { rawGet } from './support/http-app.js';
import { uniquePrefix } from './support/redis.js';
import { RedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

const APP = fileURLToPath(new URL('./fixtures/outbox/outbox.app.ts', import.meta.url));
const MIKRO_ORM_APP = fileURLToPath(
  new URL('./fixtures/outbox/mikro-orm-outbox.app.ts', import.meta.url),
);

/** Every process of a site sees one Host (behind a load balancer): pages are shared by it. */
const HOST = { host: 'blog.example' };

async function get(app: ChildApp, path: string) {
  const answer = await rawGet(`${app.url}${path}`, HOST);
  const body = (answer.status === 200 ? JSON.parse(answer.body) : {}) as { title?: string };
  return { status: answer.status, cache: answer.cache ?? null, title: body.title };
}

async function put(app: ChildApp, path: string): Promise<number> {
  return (await fetch(`${app.url}${path}`, { method: 'PUT' })).status;
}

/** Runs `work` on the database file the apps share. */
function withDatabase<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    return work(db);
  } finally {
    db.close();
  }
}

const outboxRows = (path: string) =>
  withDatabase(
    path,
    db => (db.prepare('SELECT COUNT(*) AS n FROM page_cache_outbox').get() as { n: number }).n,
  );

/**
 * What a process that died during a partition leaves behind: `count` records of other entities,
 * older than the save of article 1, which changed its title to `title` in the same commit.
 */
function leaveBacklog(path: string, count: number, model: string, title: string): void {
  withDatabase(path, db => {
    const insert = db.prepare(
      'INSERT INTO page_cache_outbox (id, model, entity_id, created_at) VALUES (?, ?, ?, ?)',
    );
    const at = Date.now() - 60_000;
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(`backlog-${i}`, model, String(i), at + i);
      db.prepare('UPDATE article SET title = ? WHERE id = 1').run(title);
      insert.run('the-save', 'Article', '1', Date.now());
    })();
  });
}

describe('the outbox: every process knows every undelivered model', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let dir: string;
  let env: Record<string, string>;
  const apps: ChildApp[] = [];
  const start = async (extra: Record<string, string> = {}, entry = APP) => {
    const app = await startChildApp(entry, { ...env, ...extra });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    proxy = await TcpProxy.start(redis.port);
  });
  afterAll(async () => {
    await proxy.close();
    await redis.kill();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-backlog-'));
    env = {
      DATABASE_PATH: join(dir, 'blog.sqlite'),
      REDIS_URL: redis.url,
      KEY_PREFIX: uniquePrefix('backlog'),
    };
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.stop()));
    proxy.heal();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process caches article 1 as v0, and stops. */
  async function cacheV0(): Promise<void> {
    const first = await start();
    expect(await put(first, '/articles/1/v0')).toBe(200);
    expect((await get(first, '/articles/1')).cache).toBe('MISS');
    expect(await get(first, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    await first.stop();
    apps.splice(apps.indexOf(first), 1);
  }

  it('10,000 records left during a partition hide no model: a process started after them serves no old page, and drains them', async () => {
    await cacheV0();
    leaveBacklog(env.DATABASE_PATH!, 10_000, 'Comment', 'v1');
    const started = Date.now();
    const second = await start();
    // The save of article 1 is the newest of 10,001 records: its model is known at once.
    const first = await get(second, '/articles/1');
    expect(first.title).toBe('v1');
    expect(first.cache).not.toBe('HIT');
    await vi.waitFor(() => expect(outboxRows(env.DATABASE_PATH!)).toBe(0), {
      timeout: 60_000,
      interval: 100,
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`outbox backlog: 10,001 records delivered in ${seconds.toFixed(1)} s`);
    expect((await get(second, '/articles/1')).title).toBe('v1');
    expect(await get(second, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
  }, 90_000);

  it('a record the cache can never deliver is quarantined, and hides nothing behind it', async () => {
    await cacheV0();
    // A model name the cache refuses (not a plain identifier): 600 of them, more than a batch.
    leaveBacklog(env.DATABASE_PATH!, 600, 'Café', 'v1');
    const second = await start();
    await vi.waitFor(() => expect(outboxRows(env.DATABASE_PATH!)).toBe(0), { timeout: 20_000 });
    expect(await get(second, '/articles/1')).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(await get(second, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
    expect(second.output()).toMatch(
      /Quarantined an invalidation that can never be delivered.*Café/,
    );
  });

  it.each([
    ['TypeORM update()', APP],
    ['MikroORM nativeUpdate()', MIKRO_ORM_APP],
  ])('a write outside a transaction (%s) commits only with its record', async (_name, entry) => {
    const app = await start({}, entry);
    expect(await put(app, '/articles/1/v0')).toBe(200);
    expect((await get(app, '/articles/1')).cache).toBe('MISS');
    expect(await get(app, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    // update() outside a transaction, and its invalidation delivered: the page follows the row.
    expect((await fetch(`${app.url}/articles/1/v1`, { method: 'PATCH' })).status).toBe(200);
    expect(await get(app, '/articles/1')).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(await get(app, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
    // The outbox refuses records (a lock timeout, a full disk…): the write must not commit alone.
    withDatabase(env.DATABASE_PATH!, db =>
      db.exec(
        "CREATE TRIGGER refuse_records BEFORE INSERT ON page_cache_outbox BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
      ),
    );
    expect((await fetch(`${app.url}/articles/1/v2`, { method: 'PATCH' })).status).toBe(500);
    const stored = withDatabase(
      env.DATABASE_PATH!,
      db => (db.prepare('SELECT title FROM article WHERE id = 1').get() as { title: string }).title,
    );
    // Whatever the database holds, the page says the same.
    expect(stored).toBe('v1');
    expect((await get(app, '/articles/1')).title).toBe(stored);
  });

  it('a writer caches again once another process delivered its records', async () => {
    // The writer reaches Redis through a proxy that drops bytes; the other process directly.
    const writer = await start({ REDIS_URL: proxy.url });
    const other = await start();
    expect(await put(writer, '/articles/1/v0')).toBe(200);
    expect((await get(writer, '/articles/1')).cache).toBe('MISS');
    expect((await get(writer, '/articles/1')).cache).toBe('HIT');
    proxy.drop();
    expect(await put(writer, '/articles/1/v1')).toBe(200);
    // The other process delivers the writer's record.
    await vi.waitFor(() => expect(outboxRows(env.DATABASE_PATH!)).toBe(0), { timeout: 20_000 });
    expect((await get(other, '/articles/1')).title).toBe('v1');
    proxy.heal();
    // The writer learns its record left the outbox: it serves, and stores, pages again.
    await vi.waitFor(
      async () => {
        const answer = await get(writer, '/articles/1');
        expect(answer).toMatchObject({ cache: 'HIT', title: 'v1' });
      },
      { timeout: 20_000, interval: 200 },
    );
  });
});
