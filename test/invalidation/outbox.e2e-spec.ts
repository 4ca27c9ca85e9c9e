import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildApp } from '../support/child-app.js';
import { getPage, sqliteOutboxRows, write, type BlogAnswer } from '../support/blog-process.js';
import { uniquePrefix } from '../support/redis.js';
import { partitionedRedis } from '../support/partitioned-redis.js';

const APP = fileURLToPath(new URL('../fixtures/outbox/outbox.app.ts', import.meta.url));
const JOURNAL_APP = fileURLToPath(new URL('../fixtures/outbox/journal.app.ts', import.meta.url));

/** What the uncached twin of the page says: the same request with credentials bypasses. */
const twin = (app: ChildApp, path: string) => getPage(app, path, { authorization: 'Bearer twin' });

describe('invalidations survive the process that asked for them (TypeORM outbox)', () => {
  let dir: string;
  const partitioned = partitionedRedis(() => rmSync(dir, { recursive: true, force: true }));
  const start = (env: Record<string, string>, entry = APP) => partitioned.start(entry, env);
  const kill = (app: ChildApp) => partitioned.kill(app);
  const proxy = {
    get url() {
      return partitioned.proxy.url;
    },
    drop: () => partitioned.proxy.drop(),
    heal: () => partitioned.proxy.heal(),
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  });

  /**
   * The reproduction: a page is cached; the network to Redis partitions; a save commits; the
   * process that saved dies before the partition heals; a new process starts.
   */
  async function saveDuringPartitionThenDie(
    outbox: 'on' | 'off',
    /** `PATCH`: the same change outside a transaction (`repository.update()`). */
    method = 'PUT',
  ): Promise<BlogAnswer> {
    const env = {
      DATABASE_PATH: join(dir, 'blog.sqlite'),
      REDIS_URL: proxy.url,
      KEY_PREFIX: uniquePrefix('outbox'),
      OUTBOX: outbox,
    };
    const first = await start(env);
    expect(await write(first, '/articles/1/v0')).toBe(200);
    expect((await getPage(first, '/articles/1')).cache).toBe('MISS');
    expect(await getPage(first, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    proxy.drop();
    expect(await write(first, '/articles/1/v1', method)).toBe(200);
    kill(first);
    proxy.heal();
    const second = await start(env);
    const answer = await getPage(second, '/articles/1');
    // The new process's cache works: the next request is a hit of whatever it served.
    expect(await getPage(second, '/articles/1')).toMatchObject({
      cache: 'HIT',
      title: answer.title,
    });
    return answer;
  }

  it('a save committed while Redis was unreachable still clears its page after the saver died', async () => {
    const answer = await saveDuringPartitionThenDie('on');
    expect(answer).toMatchObject({ cache: 'MISS', title: 'v1' });
    // The new process delivered the dead one's record at startup.
    expect(sqliteOutboxRows(join(dir, 'blog.sqlite'))).toBe(0);
  });

  it('a write outside a transaction, committed while Redis was unreachable, still clears its page after the writer died', async () => {
    const answer = await saveDuringPartitionThenDie('on', 'PATCH');
    expect(answer).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(sqliteOutboxRows(join(dir, 'blog.sqlite'))).toBe(0);
  });

  it('without the outbox the same sequence serves the old page (what the outbox prevents)', async () => {
    const answer = await saveDuringPartitionThenDie('off');
    expect(answer).toMatchObject({ cache: 'HIT', title: 'v0' });
  });

  /** The same reproduction with events emitted by hand, and a journal directory (or none). */
  async function handEmittedSaveThenDie(journal: 'on' | 'off'): Promise<BlogAnswer> {
    const env = {
      DATA_FILE: join(dir, 'items.json'),
      JOURNAL_DIR: join(dir, 'journal'),
      JOURNAL: journal,
      REDIS_URL: proxy.url,
      KEY_PREFIX: uniquePrefix('journal'),
    };
    writeFileSync(env.DATA_FILE, JSON.stringify({ 1: 'v0' }));
    const first = await start(env, JOURNAL_APP);
    expect((await getPage(first, '/items/1')).cache).toBe('MISS');
    expect(await getPage(first, '/items/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    proxy.drop();
    expect(await write(first, '/items/1/v1')).toBe(200);
    kill(first);
    proxy.heal();
    const second = await start(env, JOURNAL_APP);
    const answer = await getPage(second, '/items/1');
    expect(await getPage(second, '/items/1')).toMatchObject({ cache: 'HIT', title: answer.title });
    return answer;
  }

  it('an event emitted by hand is delivered from the journal after its process died', async () => {
    expect(await handEmittedSaveThenDie('on')).toMatchObject({ cache: 'MISS', title: 'v1' });
    expect(readdirSync(join(dir, 'journal')).filter(name => name.endsWith('.json'))).toEqual([]);
  });

  it('without a journal a hand-emitted event is lost with its process (documented)', async () => {
    expect(await handEmittedSaveThenDie('off')).toMatchObject({ cache: 'HIT', title: 'v0' });
  });

  it('a process that sees an undelivered record does not serve pages built from its model', async () => {
    const redisUrl = partitioned.redis.url;
    const env = { DATABASE_PATH: join(dir, 'blog.sqlite'), KEY_PREFIX: uniquePrefix('behind') };
    const cutOff = await start({ ...env, REDIS_URL: proxy.url });
    expect(await write(cutOff, '/articles/2/v0')).toBe(200);
    await getPage(cutOff, '/articles/2');
    expect((await getPage(cutOff, '/articles/2')).cache).toBe('HIT');
    proxy.drop();
    expect(await write(cutOff, '/articles/2/v1')).toBe(200);
    // The process that saved knows it is behind: it does not serve the page from the cache.
    const behind = await getPage(cutOff, '/articles/2');
    expect(behind).toMatchObject({ status: 200, cache: 'BYPASS', title: 'v1' });
    // A process that reaches Redis delivers the record at startup and serves the new page.
    const other = await start({ ...env, REDIS_URL: redisUrl });
    expect(await getPage(other, '/articles/2')).toMatchObject({ cache: 'MISS', title: 'v1' });
    proxy.heal();
  });

  it('randomized: saves, partitions and kills interleaved leave no page that differs from its twin', async () => {
    const env = { DATABASE_PATH: join(dir, 'blog.sqlite'), KEY_PREFIX: uniquePrefix('chaos') };
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
    let state = seed;
    const random = (n: number) => {
      // An LCG's low bits cycle quickly: draw from the high ones.
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor(state / 65_536) % n;
    };
    const live = [await start({ ...env, REDIS_URL: proxy.url })];
    for (const id of [1, 2, 3]) expect(await write(live[0]!, `/articles/${id}/t0`)).toBe(200);
    const steps: string[] = [];
    for (let step = 1; step <= 24; step++) {
      if (live.length === 0) {
        steps.push('start');
        live.push(await start({ ...env, REDIS_URL: proxy.url }));
      }
      const app = live[random(live.length)]!;
      const id = 1 + random(3);
      switch (random(8)) {
        case 0:
        case 1:
          steps.push(`save ${id}`);
          await write(app, `/articles/${id}/t${step}`);
          break;
        case 2:
        case 3:
          steps.push(`read ${id}`);
          await getPage(app, `/articles/${id}`);
          break;
        case 4:
          steps.push('partition');
          proxy.drop();
          break;
        case 5:
          steps.push('heal');
          proxy.heal();
          break;
        case 6:
          steps.push('kill');
          kill(app);
          live.splice(live.indexOf(app), 1);
          break;
        default:
          if (live.length < 2) {
            steps.push('start');
            proxy.heal();
            live.push(await start({ ...env, REDIS_URL: proxy.url }));
          }
      }
    }
    if (live.length === 0) live.push(await start({ ...env, REDIS_URL: proxy.url }));
    if (process.env.CHAOS_PRINT) console.log(`seed ${seed}: ${steps.join(', ')}`);
    proxy.heal();
    // Drained: every record in the outbox reached Redis (processes deliver every 200 ms).
    await vi.waitFor(() => expect(sqliteOutboxRows(env.DATABASE_PATH)).toBe(0), {
      timeout: 15_000,
      interval: 100,
    });
    for (const app of live) {
      for (const id of [1, 2, 3]) {
        const path = `/articles/${id}`;
        for (let i = 0; i < 2; i++) {
          const page = await getPage(app, path);
          const truth = await twin(app, path);
          expect(page.title, `seed ${seed}: ${steps.join(', ')}; ${path} (${page.cache})`).toBe(
            truth.title,
          );
        }
      }
    }
  }, 90_000);
});
