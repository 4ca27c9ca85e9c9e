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

const APP = fileURLToPath(new URL('./fixtures/outbox/mikro-orm-outbox.app.ts', import.meta.url));

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

/** How many records the outbox table holds (read straight from the database file). */
function outboxRows(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM page_cache_outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('invalidations survive the process that asked for them (MikroORM outbox)', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let dir: string;
  const apps: ChildApp[] = [];
  const start = async (env: Record<string, string>) => {
    const app = await startChildApp(APP, env);
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    proxy = await TcpProxy.start(redis.port);
  });
  afterAll(async () => {
    await Promise.all(apps.splice(0).map(app => app.stop()));
    await proxy.close();
    await redis.kill();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mikro-outbox-'));
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.stop()));
    proxy.heal();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A page is cached; the network to Redis partitions; a save commits; the process that saved
   * dies before the partition heals; a new process starts and serves the page.
   */
  async function saveDuringPartitionThenDie(outbox: 'on' | 'off') {
    const database = join(dir, 'blog.sqlite');
    const env = {
      DATABASE_PATH: database,
      REDIS_URL: proxy.url,
      KEY_PREFIX: uniquePrefix('mikro-outbox'),
      OUTBOX: outbox,
    };
    const first = await start(env);
    expect(await put(first, '/articles/1/v0')).toBe(200);
    expect((await get(first, '/articles/1')).cache).toBe('MISS');
    expect(await get(first, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    proxy.drop();
    expect(await put(first, '/articles/1/v1')).toBe(200);
    const recorded = outbox === 'on' ? outboxRows(database) : 0;
    first.process.kill('SIGKILL');
    apps.splice(apps.indexOf(first), 1);
    proxy.heal();
    const second = await start(env);
    const answer = await get(second, '/articles/1');
    expect(await get(second, '/articles/1')).toMatchObject({ cache: 'HIT', title: answer.title });
    return { answer, recorded, left: outbox === 'on' ? outboxRows(database) : 0 };
  }

  it('a save committed while Redis was unreachable still clears its page after the saver died', async () => {
    const { answer, recorded, left } = await saveDuringPartitionThenDie('on');
    // The record was committed with the change, and the new process delivered it at startup.
    expect(recorded).toBe(1);
    expect(answer).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(left).toBe(0);
  });

  it('without the outbox the same sequence serves the old page (what the outbox prevents)', async () => {
    const { answer } = await saveDuringPartitionThenDie('off');
    expect(answer).toMatchObject({ cache: 'HIT', title: 'v0' });
  });
});
