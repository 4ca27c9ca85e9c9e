import { Redis } from 'ioredis';
import { CacheService } from 'nestjs-page-cache';
import { ArticleTable, BlogModule } from '../fixtures/invalidation/blog.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

describe.each(ADAPTERS)('expirePage on %s', adapter => {
  let app: RunningApp;
  let cache: CacheService;
  let table: ArticleTable;

  beforeEach(async () => {
    table = new ArticleTable();
    app = await startApp(
      adapter,
      BlogModule.with(table, { redis: redisUrl(), keyPrefix: uniquePrefix('expire') }),
    );
    cache = app.app.get(CacheService);
  });
  afterEach(async () => {
    await cache.clear();
    await app.close();
  });

  const state = async (path: string, headers: Record<string, string> = {}) =>
    (await app.get(path, { headers })).headers.get('x-cache');

  async function warm(paths: string[]): Promise<void> {
    for (const path of paths) {
      await state(path);
      expect(await state(path)).toBe('HIT');
    }
  }

  it('removes every variant of a URL, whatever its query or varied values, and nothing else', async () => {
    await warm(['/articles', '/articles?page=2', '/articles?b=2&a=1', '/articles/1']);
    expect(await cache.expirePage('/articles')).toBe(3);
    expect(await state('/articles')).toBe('MISS');
    expect(await state('/articles?page=2')).toBe('MISS');
    expect(await state('/articles?a=1&b=2')).toBe('MISS');
    expect(await state('/articles/1')).toBe('HIT');
  });

  it('with a query, removes only the variants of that query (in any parameter order)', async () => {
    await warm(['/articles', '/articles?page=2', '/articles?b=2&a=1']);
    expect(await cache.expirePage('/articles', { query: { page: 2 } })).toBe(1);
    expect(await cache.expirePage('/articles?a=1&b=2')).toBe(1);
    expect(await state('/articles?page=2')).toBe('MISS');
    expect(await state('/articles?b=2&a=1')).toBe('MISS');
    expect(await state('/articles')).toBe('HIT');
  });

  it('outdates a page whose index membership was lost (an evicted index set)', async () => {
    await warm(['/articles/2/plain']);
    // allkeys-lru evicts the index sets, which hits never read, before the hot page.
    const redis = new Redis(redisUrl());
    try {
      const sets = await redis.keys(`${cache.namespace}:~idx:@*`);
      expect(sets.length).toBeGreaterThan(0);
      await redis.del(...sets);
    } finally {
      redis.disconnect();
    }
    expect(await cache.expirePage('/articles/2/plain')).toBe(0); // the index found nothing
    table.rows.get(2)!.title = 'renamed';
    const page = await app.get('/articles/2/plain');
    expect(page.headers.get('x-cache')).toBe('MISS');
    expect(await page.text()).toBe('2:renamed');
  });

  it('never stores a page rendered from data read before an expirePage() that returned', async () => {
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    let read!: () => void;
    const hasRead = new Promise<void>(resolve => (read = resolve));
    table.afterRead = async () => {
      table.afterRead = () => Promise.resolve();
      read();
      await gate;
    };
    const slow = app.get('/articles/3/plain');
    await hasRead;
    table.rows.get(3)!.title = 'renamed';
    await cache.expirePage('/articles/3/plain');
    release();
    expect(await (await slow).text()).toBe('3:title 3 v0');
    const after = await app.get('/articles/3/plain');
    expect(await after.text()).toBe('3:renamed');
    expect(after.headers.get('x-cache')).toBe('MISS');
  });

  it('rejects a path that is not one', async () => {
    await expect(cache.expirePage('articles')).rejects.toThrow(/Invalid page path: "articles"/);
  });
});
