import { CacheService } from 'nestjs-page-cache';
import {
  ALLOWED_ORIGINS,
  corsModule,
  learnedRuns,
  learnModule,
} from '../../fixtures/pages/learned-vary.fixture.js';
import { fetchPage, json, type Page } from '../../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../../support/http-app.js';
import { collectWarnings } from '../../support/warnings.js';

/** The headers a CORS answer is judged by (beside its body). */
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'content-type',
  'vary',
];

/** The names a response's `Vary` lists, lower-case, as sent (duplicates kept). */
function varyTokens(page: Page): string[] {
  return (page.headers.get('vary') ?? '')
    .split(',')
    .map(token => token.trim().toLowerCase())
    .filter(token => token !== '');
}

function corsHeaders(page: Page): Record<string, string | null> {
  return Object.fromEntries(CORS_HEADERS.map(name => [name, page.headers.get(name)]));
}

const [A, B] = ALLOWED_ORIGINS as [string, string];
/** Each kind of CORS request: allowed origins, none, and one not in the list. */
const CLIENTS: [string, Record<string, string>, string | null][] = [
  ['origin A', { origin: A }, A],
  ['origin B', { origin: B }, B],
  ['no Origin', {}, null],
  ['a disallowed origin', { origin: 'https://evil.example' }, null],
];

describe.each(ADAPTERS)('Vary learned from responses, on %s', adapter => {
  describe('CORS with a list of origins (Vary: Origin on every response)', () => {
    let app: RunningApp;
    let warnings: string[];
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetchPage(app, path, { headers });

    beforeAll(async () => {
      app = await startApp(adapter, corsModule(), nest => {
        warnings = collectWarnings(nest);
        nest.enableCors({ origin: ALLOWED_ORIGINS });
      });
    });
    afterAll(() => app.close());
    beforeEach(() => learnedRuns.reset());

    it('gives each origin its own page, MISS then HIT, as the uncached twin answers it', async () => {
      for (const [label, headers, allowed] of CLIENTS) {
        const miss = await get('/cors/page', headers);
        const hit = await get('/cors/page', headers);
        const twin = await get('/cors/twin', headers);
        expect([miss.cache, hit.cache], label).toEqual(['MISS', 'HIT']);
        expect(twin.cache, label).toBeNull();
        expect(hit.headers.get('access-control-allow-origin'), label).toBe(allowed);
        // The CORS middleware sends Vary: Origin without an Origin too: no narrower entry.
        expect(varyTokens(twin), label).toEqual(['origin']);
        for (const page of [miss, hit]) {
          expect(corsHeaders(page), label).toEqual(corsHeaders(twin));
          expect(page.text, label).toBe(twin.text);
          // Varied on a header, as if declared: no shared cache keeps it (Cloudflare ignores Vary).
          expect(page.headers.get('cache-control'), label).toBe('private, max-age=30');
        }
      }
      expect(learnedRuns.of('cors-page')).toBe(CLIENTS.length);
      // Every hit went the early path, keyed by the learned header too.
      expect(app.app.get(CacheService).stats().views['CorsController.page']).toMatchObject({
        hits: CLIENTS.length,
        earlyHits: CLIENTS.length,
        writes: CLIENTS.length,
        bypasses: {},
      });
      const learned = warnings.filter(warning => warning.includes('varies on Origin'));
      expect(learned).toEqual([
        "CorsController.page varies on Origin (its response says Vary: Origin): each value is keyed from now on in this process; declare it with `pages: { vary: ['origin'] }` or `@VaryOn('origin')` so every worker keys it from its first request.",
      ]);
    });

    it("lists Origin once with @VaryOn('origin')", async () => {
      for (const [label, headers, allowed] of CLIENTS) {
        const miss = await get('/cors/declared', headers);
        const hit = await get('/cors/declared', headers);
        expect([miss.cache, hit.cache], label).toEqual(['MISS', 'HIT']);
        expect(hit.headers.get('access-control-allow-origin'), label).toBe(allowed);
        expect(json(hit).origin, label).toBe(headers.origin ?? null);
        for (const page of [miss, hit]) expect(varyTokens(page), label).toEqual(['origin']);
      }
      expect(learnedRuns.of('cors-declared')).toBe(CLIENTS.length);
      expect(warnings.filter(warning => warning.startsWith('CorsController.declared'))).toEqual([]);
    });
  });

  describe("handlers that set Vary, with pages: { vary: ['origin'] }", () => {
    let app: RunningApp;
    let warnings: string[];
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetchPage(app, path, { headers });

    beforeAll(async () => {
      app = await startApp(adapter, learnModule(['origin']), nest => {
        warnings = collectWarnings(nest);
      });
    });
    afterAll(() => app.close());
    beforeEach(() => learnedRuns.reset());

    it('keys every route by the origin from its first request', async () => {
      const a = await get('/learn/origin', { origin: A });
      const again = await get('/learn/origin', { origin: A });
      const b = await get('/learn/origin', { origin: B });
      expect([a.cache, again.cache, b.cache]).toEqual(['MISS', 'HIT', 'MISS']);
      expect([json(again).origin, json(b).origin]).toEqual([A, B]);
      expect((await get('/learn/origin', { origin: B })).cache).toBe('HIT');
      expect(learnedRuns.of('origin')).toBe(2);
      expect(varyTokens(again)).toEqual(['origin']);
    });

    it("lists a handler's Vary: Origin once, and learns nothing from it", async () => {
      const miss = await get('/learn/says-origin', { origin: A });
      const hit = await get('/learn/says-origin', { origin: A });
      expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
      for (const page of [miss, hit]) expect(varyTokens(page)).toEqual(['origin']);
      expect(warnings.filter(warning => warning.includes('varies on'))).toEqual([]);
    });

    it('learns a header a handler names in Vary, then hits per value of it', async () => {
      const clients: Record<string, string>[] = [
        { 'x-foo': 'a' },
        { 'x-foo': 'b' },
        {},
        { 'x-foo': '' },
      ];
      for (const headers of clients) {
        const miss = await get('/learn/foo', headers);
        const hit = await get('/learn/foo', headers);
        expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
        expect(json(hit).foo).toBe(headers['x-foo'] ?? null);
        expect(hit.text).toBe(miss.text);
        expect(varyTokens(hit)).toEqual(['x-foo', 'origin']);
      }
      expect(learnedRuns.of('foo')).toBe(clients.length);
      const about = warnings.filter(warning => warning.startsWith('LearnController.foo'));
      expect(about).toEqual([
        "LearnController.foo varies on X-Foo (its response says Vary: X-Foo, origin): each value is keyed from now on in this process; declare it with `pages: { vary: ['x-foo'] }` or `@VaryOn('x-foo')` so every worker keys it from its first request.",
      ]);
    });

    it('never stores a page that says Vary: * or Vary: Cookie', async () => {
      for (const [path, name] of [
        ['/learn/star', 'star'],
        ['/learn/cookie', 'cookie'],
      ] as const) {
        const pages = [await get(path), await get(path), await get(path)];
        expect(pages.map(page => page.cache)).toEqual(['MISS', 'MISS', 'MISS']);
        expect(learnedRuns.of(name)).toBe(3);
      }
      expect(warnings.filter(warning => /varies on (\*|Cookie)/.test(warning))).toEqual([]);
    });

    it('learns at most four headers per route: past that, its pages are not stored', async () => {
      const pages = [await get('/learn/many'), await get('/learn/many')];
      expect(pages.map(page => page.cache)).toEqual(['MISS', 'MISS']);
      expect(learnedRuns.of('many')).toBe(2);
      expect(warnings.filter(warning => warning.startsWith('LearnController.many'))).toEqual([
        "LearnController.many: its response says Vary: X-A, X-B, X-C, X-D, X-E, which its key cannot cover, so it is never stored (vary). Vary: *, Cookie or Authorization: key its pages per user with @VaryOn({ user: true }) and drop the header, or drop the header where the page does not depend on it; other request headers, more than a route learns on its own (4): declare them with @VaryOn('<header>', …).",
      ]);
    });
  });
});
