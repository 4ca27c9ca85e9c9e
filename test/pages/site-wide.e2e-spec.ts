import { CacheService } from 'nestjs-page-cache';
import { fetchPage } from '../support/fetch-page.js';
import {
  SITE_CACHE_CONTROL,
  siteRuns,
  siteWideModule,
} from '../fixtures/pages/site-wide.fixture.js';
import { MATRIX } from '../support/backends.js';
import { startApp, type RunningApp } from '../support/http-app.js';

describe.each(MATRIX)('site-wide page caching on %s/%s', (adapter, backend) => {
  let app: RunningApp;
  let cache: CacheService;

  beforeAll(async () => {
    app = await startApp(adapter, siteWideModule(backend));
    cache = app.app.get(CacheService);
  });
  afterAll(() => app.close());
  beforeEach(() => siteRuns.reset());

  async function pageKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of cache.keys('page:*')) keys.push(key);
    return keys;
  }

  it('caches a GET handler that has no decorator, for pages.ttl', async () => {
    const miss = await fetchPage(app, '/site/plain');
    const hit = await fetchPage(app, '/site/plain');
    expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
    expect(hit.body.equals(miss.body)).toBe(true);
    expect(siteRuns.of('plain')).toBe(1);

    const key = (await pageKeys()).find(k => k.startsWith('page:SiteController.plain:'));
    expect(key).toBeDefined();
    const ttl = (await cache.ttl(key!)) as number;
    // pages.ttl (1m), not the module's ttl (10s).
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('leaves @NoCache() handlers and controllers alone', async () => {
    for (const path of ['/site/opted-out', '/private-area']) {
      const first = await fetchPage(app, path);
      const second = await fetchPage(app, path);
      expect(first.status).toBe(200);
      expect(first.cache).toBeNull();
      expect(second.cache).toBeNull();
      expect(second.headers.get('cache-control')).toBeNull();
    }
    expect(siteRuns.of('opted-out')).toBe(2);
    expect(siteRuns.of('private-area')).toBe(2);
  });

  it('lets @CachePage({ ttl }) override pages.ttl', async () => {
    await fetchPage(app, '/site/long');
    expect((await fetchPage(app, '/site/long')).cache).toBe('HIT');
    const key = (await pageKeys()).find(k => k.startsWith('page:SiteController.long:'));
    expect(key).toBeDefined();
    expect(await cache.ttl(key!)).toBeGreaterThan(60_000);
    expect(siteRuns.of('long')).toBe(1);
  });

  it('never caches POST', async () => {
    const first = await fetchPage(app, '/site/plain', { method: 'POST' });
    const second = await fetchPage(app, '/site/plain', { method: 'POST' });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.cache).toBeNull();
    expect(second.cache).toBeNull();
    expect(second.text).toBe('{"run":2}');
    expect(siteRuns.of('create')).toBe(2);
  });

  describe('pages.cacheControl', () => {
    it('is sent with cached pages, on the miss and on the hit', async () => {
      const miss = await fetchPage(app, '/site/long?case=cache-control');
      const hit = await fetchPage(app, '/site/long?case=cache-control');
      expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
      expect(miss.headers.get('cache-control')).toBe(SITE_CACHE_CONTROL);
      expect(hit.headers.get('cache-control')).toBe(SITE_CACHE_CONTROL);
    });

    it("leaves a handler's own Cache-Control as it is", async () => {
      const miss = await fetchPage(app, '/site/own-cache-control');
      const hit = await fetchPage(app, '/site/own-cache-control');
      expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
      expect(miss.headers.get('cache-control')).toBe('public, max-age=5');
      expect(hit.headers.get('cache-control')).toBe('public, max-age=5');
    });

    it("never replaces a handler's Cache-Control: private (and that page is not stored)", async () => {
      const first = await fetchPage(app, '/site/private');
      const second = await fetchPage(app, '/site/private');
      expect([first.cache, second.cache]).toEqual(['MISS', 'MISS']);
      expect(first.headers.get('cache-control')).toBe('private, max-age=5');
      expect(second.headers.get('cache-control')).toBe('private, max-age=5');
      expect(siteRuns.of('private')).toBe(2);
    });

    it('is not sent with a response that is not stored', async () => {
      const missing = await fetchPage(app, '/site/missing');
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBeNull();
      const cookie = await fetchPage(app, '/site/set-cookie');
      expect(cookie.headers.get('set-cookie')).toContain('session=s1');
      expect(cookie.headers.get('cache-control')).toBeNull();
      const authorized = await fetchPage(app, '/site/plain', {
        headers: { authorization: 'Bearer alice' },
      });
      expect(authorized.cache).toBe('BYPASS');
      expect(authorized.headers.get('cache-control')).toBeNull();
    });
  });
});
