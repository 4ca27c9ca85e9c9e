import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { partitionedRedis } from '../support/partitioned-redis.js';
import { getPage, sqliteOutboxRows, write } from '../support/blog-process.js';
import { uniquePrefix } from '../support/redis.js';
import {
  createDatabase,
  postgresUnavailable,
  type TestDatabase,
} from '../fixtures/orm/databases.js';
import pg from 'pg';

const APP = fileURLToPath(new URL('../fixtures/outbox/outbox.app.ts', import.meta.url));
const MIKRO_ORM_APP = fileURLToPath(
  new URL('../fixtures/outbox/mikro-orm-outbox.app.ts', import.meta.url),
);

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
  let dir: string;
  const partitioned = partitionedRedis(() => rmSync(dir, { recursive: true, force: true }));
  let env: Record<string, string>;
  const start = (extra: Record<string, string> = {}, entry = APP) =>
    partitioned.start(entry, { ...env, ...extra });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-backlog-'));
    env = {
      DATABASE_PATH: join(dir, 'blog.sqlite'),
      REDIS_URL: partitioned.redis.url,
      KEY_PREFIX: uniquePrefix('backlog'),
    };
  });

  /** A process caches article 1 as v0, and stops. */
  async function cacheV0(): Promise<void> {
    const first = await start();
    expect(await write(first, '/articles/1/v0')).toBe(200);
    expect((await getPage(first, '/articles/1')).cache).toBe('MISS');
    expect(await getPage(first, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    await partitioned.stop(first);
  }

  it('10,000 records left during a partition hide no model: a process started after them serves no old page, and drains them', async () => {
    await cacheV0();
    leaveBacklog(env.DATABASE_PATH!, 10_000, 'Comment', 'v1');
    const started = Date.now();
    const second = await start();
    // Startup delivers the whole backlog before the app serves: one pass drains it, not 500.
    expect(sqliteOutboxRows(env.DATABASE_PATH!)).toBe(0);
    console.log(
      `outbox backlog: 10,001 records delivered in ${((Date.now() - started) / 1000).toFixed(1)} s, startup included`,
    );
    expect(await getPage(second, '/articles/1')).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(await getPage(second, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
  }, 90_000);

  it('a record the cache can never deliver is quarantined, and hides nothing behind it', async () => {
    await cacheV0();
    // A model name the cache refuses (not a plain identifier): 600 of them, more than a batch.
    leaveBacklog(env.DATABASE_PATH!, 600, 'Café', 'v1');
    const second = await start();
    await vi.waitFor(() => expect(sqliteOutboxRows(env.DATABASE_PATH!)).toBe(0), {
      timeout: 20_000,
    });
    expect(await getPage(second, '/articles/1')).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(await getPage(second, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
    expect(second.output()).toMatch(
      /Quarantined an invalidation that can never be delivered.*Café/,
    );
  });

  it.each([
    ['TypeORM update()', APP],
    ['MikroORM nativeUpdate()', MIKRO_ORM_APP],
  ])('a write outside a transaction (%s) commits only with its record', async (_name, entry) => {
    const app = await start({}, entry);
    expect(await write(app, '/articles/1/v0')).toBe(200);
    expect((await getPage(app, '/articles/1')).cache).toBe('MISS');
    expect(await getPage(app, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    // update() outside a transaction, and its invalidation delivered: the page follows the row.
    expect((await fetch(`${app.url}/articles/1/v1`, { method: 'PATCH' })).status).toBe(200);
    expect(await getPage(app, '/articles/1')).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(await getPage(app, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
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
    expect((await getPage(app, '/articles/1')).title).toBe(stored);
  });

  it('a writer caches again once another process delivered its records', async () => {
    // The writer reaches Redis through a proxy that drops bytes; the other process directly.
    const writer = await start({ REDIS_URL: partitioned.proxy.url });
    const other = await start();
    expect(await write(writer, '/articles/1/v0')).toBe(200);
    expect((await getPage(writer, '/articles/1')).cache).toBe('MISS');
    expect((await getPage(writer, '/articles/1')).cache).toBe('HIT');
    partitioned.proxy.drop();
    expect(await write(writer, '/articles/1/v1')).toBe(200);
    // The other process delivers the writer's record.
    await vi.waitFor(() => expect(sqliteOutboxRows(env.DATABASE_PATH!)).toBe(0), {
      timeout: 20_000,
    });
    expect((await getPage(other, '/articles/1')).title).toBe('v1');
    partitioned.proxy.heal();
    // The writer learns its record left the outbox: it serves, and stores, pages again.
    await vi.waitFor(
      async () => {
        const answer = await getPage(writer, '/articles/1');
        expect(answer).toMatchObject({ cache: 'HIT', title: 'v1' });
      },
      { timeout: 20_000, interval: 200 },
    );
  });
});

/** The database the blog processes share, and what a test does to it behind their back. */
interface BlogDatabase {
  env: Record<string, string>;
  outboxRows(): Promise<number>;
  /** As `leaveBacklog`: `count` older records of `model`, then the save of article 1. */
  leaveBacklog(count: number, model: string, title: string): Promise<void>;
  drop(): Promise<void>;
}

async function blogDatabase(kind: TestDatabase['kind']): Promise<BlogDatabase> {
  const database = await createDatabase(kind);
  if (kind === 'sqlite') {
    return {
      env: { DATABASE_PATH: database.url },
      outboxRows: () => Promise.resolve(sqliteOutboxRows(database.url)),
      leaveBacklog: (count, model, title) =>
        Promise.resolve(leaveBacklog(database.url, count, model, title)),
      drop: () => database.drop(),
    };
  }
  const query = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    env: { DATABASE_URL: database.url },
    outboxRows: () =>
      query(async client => {
        const { rows } = await client.query('SELECT COUNT(*)::int AS n FROM page_cache_outbox');
        return (rows[0] as { n: number }).n;
      }),
    leaveBacklog: (count, model, title) =>
      query(async client => {
        const at = Date.now() - 60_000;
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO page_cache_outbox (id, model, entity_id, created_at)
           SELECT 'backlog-' || i, $1, i::text, $2::bigint + i FROM generate_series(0, $3::int - 1) AS i`,
          [model, at, count],
        );
        await client.query('UPDATE article SET title = $1 WHERE id = 1', [title]);
        await client.query(
          'INSERT INTO page_cache_outbox (id, model, entity_id, created_at) VALUES ($1, $2, $3, $4)',
          ['the-save', 'Article', '1', Date.now()],
        );
        await client.query('COMMIT');
      }),
    drop: () => database.drop(),
  };
}

const postgresDown = await postgresUnavailable();

describe.each(['sqlite', 'postgresql'] as const)(
  'a backlog of 10,000 records written during a partition, on %s',
  kind => {
    const skip = kind === 'postgresql' ? postgresDown : undefined;
    let database: BlogDatabase;
    const partitioned = partitionedRedis(() => database?.drop());
    const start = (env: Record<string, string>) =>
      partitioned.start(APP, { ...database.env, ...env });

    beforeEach(async () => {
      if (!skip) database = await blogDatabase(kind);
    });

    it.skipIf(skip !== undefined)(
      `hides no model from a process that ran through it, nor from one started after it${skip ? ` (skipped: ${skip})` : ''}`,
      async () => {
        const prefix = uniquePrefix('backlog');
        const running = await start({ REDIS_URL: partitioned.proxy.url, KEY_PREFIX: prefix });
        expect(await write(running, '/articles/1/v0')).toBe(200);
        expect((await getPage(running, '/articles/1')).cache).toBe('MISS');
        expect(await getPage(running, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
        partitioned.proxy.drop();
        // Writers elsewhere save during the partition: 10,000 records, then article 1's.
        await database.leaveBacklog(10_000, 'Comment', 'v1');
        // The running process learns that Article is pending, Redis out of its reach or not (a
        // store it cannot reach answers MISS; a pending model, BYPASS)…
        await vi.waitFor(
          async () =>
            expect(await getPage(running, '/articles/1')).toMatchObject({ cache: 'BYPASS' }),
          { timeout: 30_000, interval: 100 },
        );
        partitioned.proxy.heal();
        // …so once Redis answers again, it never serves the page it holds from before the save;
        // it serves the new one from the cache once the backlog is delivered.
        const seen: string[] = [];
        await vi.waitFor(
          async () => {
            const answer = await getPage(running, '/articles/1');
            seen.push(`${answer.cache} ${answer.title}`);
            expect(answer.cache).toBe('HIT');
          },
          { timeout: 30_000, interval: 100 },
        );
        expect(seen.filter(answer => !answer.endsWith(' v1'))).toEqual([]);
        // A process started now finds nothing left, and serves the new page.
        const late = await start({ REDIS_URL: partitioned.redis.url, KEY_PREFIX: prefix });
        expect(await database.outboxRows()).toBe(0);
        expect(await getPage(late, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v1' });
      },
      120_000,
    );
  },
);
