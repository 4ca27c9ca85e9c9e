import {
  expectSeparatePages as expectSeparatePagesOf,
  fetchPage,
  json,
  type Client,
  type Page,
} from '../support/fetch-page.js';
import { userOptionModule, varyModule, varyRuns } from '../fixtures/pages/vary.fixture.js';
import { MATRIX } from '../support/backends.js';
import { startApp, type RunningApp } from '../support/http-app.js';

describe.each(MATRIX)('@VaryOn on %s/%s', (adapter, backend) => {
  let app: RunningApp;
  const get = (path: string, headers?: Record<string, string>): Promise<Page> =>
    fetchPage(app, path, { headers });
  const expectSeparatePages = (path: string, clients: Client[], rounds?: number) =>
    expectSeparatePagesOf(app, path, clients, rounds);

  beforeAll(async () => {
    app = await startApp(adapter, varyModule(backend));
  });
  afterAll(() => app.close());
  beforeEach(() => varyRuns.reset());

  describe('a header', () => {
    it('gives each value its own entry and announces it in Vary', async () => {
      const [en, fr] = await expectSeparatePages('/vary/language?case=values', [
        { 'accept-language': 'en' },
        { 'accept-language': 'fr' },
      ]);
      expect(json(en!)).toMatchObject({ language: 'en', run: 1 });
      expect(json(fr!)).toMatchObject({ language: 'fr', run: 2 });
      expect(en!.headers.get('vary')).toBe('accept-language');
      const hit = await get('/vary/language?case=values', { 'accept-language': 'fr' });
      expect(hit.cache).toBe('HIT');
      expect(hit.headers.get('vary')).toBe('accept-language');
      expect(varyRuns.of('language')).toBe(2);
    });

    it('never gives one client the page of another who differs only in that header', async () => {
      const clients = ['en-US', 'fr-FR', 'de', 'en-US,en;q=0.9'].map(value => ({
        'accept-language': value,
      }));
      const pages = await expectSeparatePages('/vary/language?case=security', clients, 5);
      expect(pages.map(page => json(page).language)).toEqual(
        clients.map(c => c['accept-language']),
      );
      expect(varyRuns.of('language')).toBe(clients.length);
    });

    it('keeps a missing header, an empty one and values with separators apart', async () => {
      const clients: Client[] = [
        {},
        { 'x-variant': '' },
        { 'x-variant': 'a, b' },
        { 'x-variant': 'a' },
        { 'x-variant': '"x";y' },
        { 'x-variant': '"x"' },
      ];
      const pages = await expectSeparatePages('/vary/header', clients, 3);
      expect(pages.map(page => json(page).variant)).toEqual([
        null,
        '',
        'a, b',
        'a',
        '"x";y',
        '"x"',
      ]);
      expect(varyRuns.of('header')).toBe(clients.length);
    });

    it('keeps values apart across several varied headers', async () => {
      const pages = await expectSeparatePages('/vary/two-headers', [
        { 'x-first': 'a, b' },
        { 'x-first': 'a', 'x-second': 'b' },
        { 'x-second': 'a, b' },
        { 'x-first': '', 'x-second': '' },
      ]);
      expect(pages.map(page => json(page).run)).toEqual([1, 2, 3, 4]);
      expect(pages[0]!.headers.get('vary')).toBe('x-first, x-second');
    });
  });

  describe('a cookie', () => {
    it('never gives one client the page of another who differs only in that cookie', async () => {
      const clients: Client[] = [
        { cookie: 'theme=dark' },
        { cookie: 'theme=light' },
        { cookie: 'session=1; theme=dark-blue' },
        { cookie: 'theme=' },
        {},
      ];
      const pages = await expectSeparatePages('/vary/theme?case=security', clients, 4);
      expect(pages.map(page => json(page).cookie)).toEqual([
        'theme=dark',
        'theme=light',
        'session=1; theme=dark-blue',
        'theme=',
        null,
      ]);
      expect(varyRuns.of('theme')).toBe(clients.length);
    });

    it('shares the entry between requests whose other cookies differ', async () => {
      await get('/vary/theme?case=others', { cookie: 'theme=dark; session=alice' });
      const other = await get('/vary/theme?case=others', { cookie: 'session=bob; theme=dark' });
      expect(other.cache).toBe('HIT');
      expect(varyRuns.of('theme')).toBe(1);
    });
  });

  describe('a query parameter', () => {
    it('with @CachePage({ query: [] }) selects a variant by the varied parameter only', async () => {
      const one = await get('/vary/search?q=one');
      expect(one.cache).toBe('MISS');
      const tracked = await get('/vary/search?utm_source=x&q=one');
      expect(tracked.cache).toBe('HIT');
      expect(tracked.body.equals(one.body)).toBe(true);
      const two = await get('/vary/search?q=two');
      expect(two.cache).toBe('MISS');
      expect(json(two)).toMatchObject({ q: 'two', run: 2 });
      const none = await get('/vary/search');
      expect(none.cache).toBe('MISS');
      expect(json(none)).toMatchObject({ q: null, run: 3 });
      const empty = await get('/vary/search?q=');
      expect(empty.cache).toBe('MISS');
      expect(json(empty)).toMatchObject({ q: '', run: 4 });
      expect(varyRuns.of('search')).toBe(4);
    });
  });

  describe('the user', () => {
    it('gives each user (and anonymous requests) their own page', async () => {
      const pages = await expectSeparatePages('/vary/user', [
        { authorization: 'Bearer alice' },
        { authorization: 'Bearer bob' },
        {},
      ]);
      expect(pages.map(page => json(page).user)).toEqual(['alice', 'bob', null]);
      expect(varyRuns.of('user')).toBe(3);
    });
  });

  describe('a function', () => {
    it('gives each value it returns its own entry', async () => {
      const pages = await expectSeparatePages('/vary/tenant', [
        { 'x-tenant': 'acme' },
        { 'x-tenant': 'globex' },
        {},
      ]);
      expect(pages.map(page => json(page).tenant)).toEqual(['acme', 'globex', null]);
      // The function lower-cases the tenant: ACME shares the page of acme.
      const shouted = await get('/vary/tenant', { 'x-tenant': 'ACME' });
      expect(shouted.cache).toBe('HIT');
      expect(json(shouted)).toMatchObject({ tenant: 'acme', run: 1 });
      expect(varyRuns.of('tenant')).toBe(3);
    });

    it('keys a boolean result: true, false and undefined each get an entry', async () => {
      const [yes, no, none, text, one] = await expectSeparatePages('/vary/flag', [
        { 'x-flag': 'yes' },
        { 'x-flag': 'no' },
        {},
        { 'x-flag': 'text' },
        { 'x-flag': 'one' },
      ]);
      expect([yes, no, none, text, one].map(page => json(page!).run)).toEqual([1, 2, 3, 4, 5]);
      // Another header the function maps to undefined shares the page of the missing one.
      const other = await get('/vary/flag', { 'x-flag': 'maybe' });
      expect(other.cache).toBe('HIT');
      expect(json(other)).toMatchObject({ flag: null, run: 3 });
    });

    it("keys req => req.query.preview === '1': one page for true, one for false", async () => {
      const on = await get('/vary/preview?preview=1');
      const off = await get('/vary/preview?preview=0');
      expect([on.cache, off.cache]).toEqual(['MISS', 'MISS']);
      expect([json(on).run, json(off).run]).toEqual([1, 2]);
      for (const [path, page] of [
        ['/vary/preview?preview=1&utm=x', on],
        ['/vary/preview', off],
        ['/vary/preview?preview=yes', off],
      ] as const) {
        const again = await get(path);
        expect(again.cache, path).toBe('HIT');
        expect(again.text, path).toBe(page.text);
      }
      expect(varyRuns.of('preview')).toBe(2);
    });
  });
});

describe.each(MATRIX)('@VaryOn({ user: true }) with option user on %s/%s', (adapter, backend) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter, userOptionModule(backend));
  });
  afterAll(() => app.close());
  beforeEach(() => varyRuns.reset());

  it('gives each principal the option returns its own page', async () => {
    const pages = await expectSeparatePagesOf(app, '/account', [
      { 'x-account': 'a-1' },
      { 'x-account': 'a-2' },
      {},
    ]);
    expect(pages.map(page => json(page).account)).toEqual(['a-1', 'a-2', null]);
    expect(varyRuns.of('account')).toBe(3);
  });
});
