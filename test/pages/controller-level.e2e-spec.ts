import { CacheService } from 'nestjs-page-cache';
import { controllerLevelModule, shelfRuns } from '../fixtures/pages/controller-level.fixture.js';
import { fetchPage } from '../support/fetch-page.js';
import { MATRIX } from '../support/backends.js';
import { startApp, type RunningApp } from '../support/http-app.js';

describe.each(MATRIX)('@CachePage on a controller class on %s/%s', (adapter, backend) => {
  let app: RunningApp;
  let cache: CacheService;

  beforeAll(async () => {
    app = await startApp(adapter, controllerLevelModule(backend));
    cache = app.app.get(CacheService);
  });
  afterAll(() => app.close());
  beforeEach(() => shelfRuns.reset());

  async function pageKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of cache.keys('page:*')) keys.push(key);
    return keys.sort();
  }

  it('caches every GET handler of the controller', async () => {
    for (const path of ['/shelf/books', '/shelf/music/1']) {
      const miss = await fetchPage(app, path);
      const hit = await fetchPage(app, path);
      expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
      expect(hit.body.equals(miss.body)).toBe(true);
    }
    expect(shelfRuns.of('books')).toBe(1);
    expect(shelfRuns.of('music')).toBe(1);
  });

  it("applies the class's options to its handlers", async () => {
    const miss = await fetchPage(app, '/shelf/music/none');
    const hit = await fetchPage(app, '/shelf/music/none');
    expect([miss.status, hit.status]).toEqual([404, 404]);
    expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
    expect(shelfRuns.of('music')).toBe(1);
  });

  it("lets a handler's @CachePage replace the class's", async () => {
    await fetchPage(app, '/shelf/custom/1');
    expect((await fetchPage(app, '/shelf/custom/1')).cache).toBe('HIT');
    // statuses are the handler's default [200]: its 404 is not stored.
    const first = await fetchPage(app, '/shelf/custom/none');
    const second = await fetchPage(app, '/shelf/custom/none');
    expect([first.status, second.status]).toEqual([404, 404]);
    expect([first.cache, second.cache]).toEqual(['MISS', 'MISS']);
    expect(shelfRuns.of('custom')).toBe(3);

    const key = (await pageKeys()).find(k => k.startsWith('page:custom:'));
    expect(key).toBeDefined();
    expect(await cache.ttl(key!)).toBeGreaterThan(60_000);
  });

  it('names stored pages by @CachePage({ key }), else by ControllerName.method', async () => {
    await fetchPage(app, '/shelf/books');
    await fetchPage(app, '/shelf/custom/named');
    const keys = await pageKeys();
    expect(keys.some(k => k.startsWith('page:custom:'))).toBe(true);
    expect(keys.some(k => k.startsWith('page:ShelfController.books:'))).toBe(true);
    expect(keys.some(k => k.startsWith('page:ShelfController.custom:'))).toBe(false);
    for (const key of keys) expect(key).toMatch(/^page:[A-Za-z0-9_.-]+:[^:]*:[A-Za-z0-9_-]+$/);
  });

  it('does not cache POST handlers of the controller', async () => {
    const first = await fetchPage(app, '/shelf/books', { method: 'POST' });
    const second = await fetchPage(app, '/shelf/books', { method: 'POST' });
    expect([first.cache, second.cache]).toEqual([null, null]);
    expect(shelfRuns.of('add-book')).toBe(2);
  });
});
