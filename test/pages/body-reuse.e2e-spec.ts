import { Redis } from 'ioredis';
import { CacheService } from 'nestjs-page-cache';
import { decodeEntry, encodeEntry, type PageMeta } from '../../libs/page-cache/src/codec.js';
import { ArticleTable, BlogModule } from '../fixtures/invalidation/blog.fixture.js';
import { fetchPage } from '../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

/**
 * `pages.reuseBodies` against a real Redis: a process that has read a page's body asks Redis only
 * for the entry's header (`GETRANGE`) on later hits, and writes the body it holds only while that
 * header is unchanged. An entry replaced under the same key (another worker's render), removed, or
 * outdated by an invalidation is never answered from the copy.
 */
describe.each(ADAPTERS)('body reuse on %s', adapter => {
  let server: RedisServer;
  let redis: Redis;
  let app: RunningApp;
  let table: ArticleTable;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    table = new ArticleTable();
    app = await startApp(
      adapter,
      BlogModule.with(table, { redis: server.url, keyPrefix: uniquePrefix('reuse') }),
    );
  });
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  /** Calls of a Redis command since the last `CONFIG RESETSTAT`. */
  async function calls(command: string): Promise<number> {
    const stats = await redis.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  }

  async function pageKey(): Promise<string> {
    const namespace = app.app.get(CacheService).namespace;
    const keys = (await redis.keys(`${namespace}:*`)).filter(key => !key.includes(':~'));
    expect(keys).toHaveLength(1);
    return keys[0]!;
  }

  async function read(path: string): Promise<{ state: string | null; body: string }> {
    const { cache, text } = await fetchPage(app, path);
    return { state: cache, body: text };
  }

  it('answers later hits with the body it holds, reading only the entry header from Redis', async () => {
    expect((await read('/articles/1/plain')).state).toBe('MISS');
    expect(await read('/articles/1/plain')).toEqual({ state: 'HIT', body: '1:title 1 v0' });
    await redis.config('RESETSTAT');
    for (let i = 0; i < 3; i++) {
      expect(await read('/articles/1/plain')).toEqual({ state: 'HIT', body: '1:title 1 v0' });
    }
    expect(await calls('getrange')).toBe(3);
  });

  it('serves the new body of an entry another worker replaced under the same key', async () => {
    await read('/articles/1/plain');
    expect((await read('/articles/1/plain')).body).toBe('1:title 1 v0');
    const key = await pageKey();
    const stored = decodeEntry((await redis.getBuffer(key))!, 1 << 20)!;
    const meta = { ...(stored.meta as PageMeta), t: Date.now() + 1, b: 'another-render-digest0' };
    await redis.set(key, encodeEntry(meta, Buffer.from('1:rendered elsewhere')));
    expect(await read('/articles/1/plain')).toEqual({ state: 'HIT', body: '1:rendered elsewhere' });
  });

  it('never answers from the copy once the entry is gone or its page expired', async () => {
    await read('/articles/1/plain');
    expect((await read('/articles/1/plain')).body).toBe('1:title 1 v0');
    await redis.del(await pageKey());
    table.rows.get(1)!.title = 'second';
    expect(await read('/articles/1/plain')).toEqual({ state: 'MISS', body: '1:second' });
    expect(await read('/articles/1/plain')).toEqual({ state: 'HIT', body: '1:second' });

    table.rows.get(1)!.title = 'third';
    await app.app.get(CacheService).expirePage('/articles/1/plain');
    expect(await read('/articles/1/plain')).toEqual({ state: 'MISS', body: '1:third' });
  });
});
