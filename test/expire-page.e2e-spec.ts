import { CacheService } from 'nestjs-page-cache';
import { ArticleTable, BlogModule } from './fixtures/invalidation/blog.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/http-app.js';
import { redisUrl, uniquePrefix } from './support/redis.js';

describe.each(ADAPTERS)('expirePage on %s', adapter => {
  let app: RunningApp;
  let cache: CacheService;

  beforeEach(async () => {
    app = await startApp(
      adapter,
      BlogModule.with(new ArticleTable(), { redis: redisUrl(), keyPrefix: uniquePrefix('expire') }),
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

  it('rejects a path that is not one', async () => {
    await expect(cache.expirePage('articles')).rejects.toThrow(/Invalid page path: "articles"/);
  });
});
