import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getPage, sqliteOutboxRows, write } from '../support/blog-process.js';
import { uniquePrefix } from '../support/redis.js';
import { partitionedRedis } from '../support/partitioned-redis.js';

const APP = fileURLToPath(new URL('../fixtures/outbox/mikro-orm-outbox.app.ts', import.meta.url));

describe('invalidations survive the process that asked for them (MikroORM outbox)', () => {
  let dir: string;
  const partitioned = partitionedRedis(() => rmSync(dir, { recursive: true, force: true }));
  const start = (env: Record<string, string>) => partitioned.start(APP, env);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mikro-outbox-'));
  });

  /**
   * A page is cached; the network to Redis partitions; a save commits; the process that saved
   * dies before the partition heals; a new process starts and serves the page.
   */
  async function saveDuringPartitionThenDie(outbox: 'on' | 'off') {
    const database = join(dir, 'blog.sqlite');
    const env = {
      DATABASE_PATH: database,
      REDIS_URL: partitioned.proxy.url,
      KEY_PREFIX: uniquePrefix('mikro-outbox'),
      OUTBOX: outbox,
    };
    const first = await start(env);
    expect(await write(first, '/articles/1/v0')).toBe(200);
    expect((await getPage(first, '/articles/1')).cache).toBe('MISS');
    expect(await getPage(first, '/articles/1')).toMatchObject({ cache: 'HIT', title: 'v0' });
    partitioned.proxy.drop();
    expect(await write(first, '/articles/1/v1')).toBe(200);
    const recorded = outbox === 'on' ? sqliteOutboxRows(database) : 0;
    partitioned.kill(first);
    partitioned.proxy.heal();
    const second = await start(env);
    const answer = await getPage(second, '/articles/1');
    expect(await getPage(second, '/articles/1')).toMatchObject({
      cache: 'HIT',
      title: answer.title,
    });
    return { answer, recorded, left: outbox === 'on' ? sqliteOutboxRows(database) : 0 };
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
