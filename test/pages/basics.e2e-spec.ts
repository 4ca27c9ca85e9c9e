import { basicsModule, basicsRuns } from '../fixtures/pages/basics.fixture.js';
import { fetchPage, json } from '../support/fetch-page.js';
import { MATRIX } from '../support/backends.js';
import { startApp, type RunningApp } from '../support/http-app.js';

describe.each(MATRIX)('page cache basics on %s/%s', (adapter, backend) => {
  let app: RunningApp;
  const get = (path: string, init?: RequestInit) => fetchPage(app, path, init);

  beforeAll(async () => {
    app = await startApp(adapter, basicsModule(backend));
  });
  afterAll(() => app.close());
  beforeEach(() => basicsRuns.reset());

  describe('MISS then HIT', () => {
    it('serves the second request from the cache without running the handler', async () => {
      const miss = await get('/basics/json?case=miss-hit');
      expect(miss.status).toBe(200);
      expect(miss.cache).toBe('MISS');
      const hit = await get('/basics/json?case=miss-hit');
      expect(hit.status).toBe(200);
      expect(hit.cache).toBe('HIT');
      expect(json(hit)).toMatchObject({ case: 'miss-hit', run: 1 });
      expect(basicsRuns.of('json')).toBe(1);
      const again = await get('/basics/json?case=miss-hit');
      expect(again.cache).toBe('HIT');
      expect(basicsRuns.of('json')).toBe(1);
    });

    it('keeps different paths apart', async () => {
      const one = await get('/basics/shared/one');
      const two = await get('/basics/shared/two');
      expect([one.cache, two.cache]).toEqual(['MISS', 'MISS']);
      expect(json(await get('/basics/shared/one'))).toMatchObject({ id: 'one', run: 1 });
      expect(json(await get('/basics/shared/two'))).toMatchObject({ id: 'two', run: 2 });
      expect(basicsRuns.of('shared')).toBe(2);
    });
  });

  describe('Authorization', () => {
    it('bypasses the cache for a request with Authorization: neither read nor stored', async () => {
      const authorized = await get('/basics/shared/auth-first', {
        headers: { authorization: 'Bearer alice' },
      });
      expect(authorized.status).toBe(200);
      expect(authorized.cache).toBe('BYPASS');
      expect(json(authorized)).toMatchObject({ run: 1, authorization: 'Bearer alice' });

      // The authorized page was not stored: an anonymous request is a MISS and runs the handler.
      const anonymous = await get('/basics/shared/auth-first');
      expect(anonymous.cache).toBe('MISS');
      expect(json(anonymous)).toMatchObject({ run: 2, authorization: null });
      expect(basicsRuns.of('shared')).toBe(2);
    });

    it('never serves a cached page to a request with Authorization', async () => {
      await get('/basics/shared/auth-after');
      expect((await get('/basics/shared/auth-after')).cache).toBe('HIT');
      expect(basicsRuns.of('shared')).toBe(1);

      const authorized = await get('/basics/shared/auth-after', {
        headers: { authorization: 'Bearer bob' },
      });
      expect(authorized.cache).toBe('BYPASS');
      expect(json(authorized)).toMatchObject({ run: 2, authorization: 'Bearer bob' });
      expect(basicsRuns.of('shared')).toBe(2);

      // ...and the anonymous entry is still the anonymous page.
      const anonymous = await get('/basics/shared/auth-after');
      expect(anonymous.cache).toBe('HIT');
      expect(json(anonymous)).toMatchObject({ run: 1, authorization: null });
    });

    it("caches per Authorization value with @VaryOn('authorization')", async () => {
      const alice = { headers: { authorization: 'Bearer alice' } };
      const bob = { headers: { authorization: 'Bearer bob' } };
      expect((await get('/basics/by-authorization/1', alice)).cache).toBe('MISS');
      expect((await get('/basics/by-authorization/1', bob)).cache).toBe('MISS');
      const aliceHit = await get('/basics/by-authorization/1', alice);
      const bobHit = await get('/basics/by-authorization/1', bob);
      expect(aliceHit.cache).toBe('HIT');
      expect(bobHit.cache).toBe('HIT');
      expect(json(aliceHit)).toMatchObject({ run: 1, authorization: 'Bearer alice' });
      expect(json(bobHit)).toMatchObject({ run: 2, authorization: 'Bearer bob' });
      expect(aliceHit.headers.get('vary')).toMatch(/authorization/i);
      expect(basicsRuns.of('by-authorization')).toBe(2);
    });

    it('caches per user with @VaryOn({ user: true }), Authorization included', async () => {
      const alice = { headers: { authorization: 'Bearer alice' } };
      const bob = { headers: { authorization: 'Bearer bob' } };
      expect((await get('/basics/by-user/1', alice)).cache).toBe('MISS');
      expect((await get('/basics/by-user/1', bob)).cache).toBe('MISS');
      expect((await get('/basics/by-user/1')).cache).toBe('MISS');
      const aliceHit = await get('/basics/by-user/1', alice);
      const bobHit = await get('/basics/by-user/1', bob);
      const anonymousHit = await get('/basics/by-user/1');
      expect([aliceHit.cache, bobHit.cache, anonymousHit.cache]).toEqual(['HIT', 'HIT', 'HIT']);
      expect(json(aliceHit)).toMatchObject({ run: 1, user: 'alice' });
      expect(json(bobHit)).toMatchObject({ run: 2, user: 'bob' });
      expect(json(anonymousHit)).toMatchObject({ run: 3, user: null });
      expect(basicsRuns.of('by-user')).toBe(3);
    });
  });

  describe('bodies are byte-identical between miss and hit', () => {
    it('for JSON', async () => {
      const miss = await get('/basics/json?case=bytes');
      const hit = await get('/basics/json?case=bytes');
      expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
      expect(miss.headers.get('content-type')).toMatch(/^application\/json/);
      expect(hit.headers.get('content-type')).toBe(miss.headers.get('content-type'));
      expect(hit.body.equals(miss.body)).toBe(true);
      expect(hit.headers.get('content-length')).toBe(String(miss.body.length));
      expect(json(hit)).toEqual({
        case: 'bytes',
        run: 1,
        text: 'héllo ✓ "quoted" <tag>',
        list: [1, 2.5, null],
      });
    });

    it('for plain text', async () => {
      const miss = await get('/basics/text?case=bytes');
      const hit = await get('/basics/text?case=bytes');
      expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
      expect(miss.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(hit.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(hit.body.equals(miss.body)).toBe(true);
      expect(hit.text).toBe('plain bytes run 1: ünïcödé — ✓\nsecond line\n');
      expect(basicsRuns.of('text')).toBe(1);
    });
  });

  describe('query string', () => {
    it('keys the query as sent: ?a=1&b=2 and ?b=2&a=1 are two entries, as the handler sees two orders', async () => {
      const first = await get('/basics/search?a=1&b=2');
      const second = await get('/basics/search?b=2&a=1');
      expect([first.cache, second.cache]).toEqual(['MISS', 'MISS']);
      // The handler returns the parsed query: its key order follows the URL.
      expect(Object.keys(json<{ query: object }>(first).query)).toEqual(['a', 'b']);
      expect(Object.keys(json<{ query: object }>(second).query)).toEqual(['b', 'a']);
      const again = await get('/basics/search?b=2&a=1');
      expect(again.cache).toBe('HIT');
      expect(again.text).toBe(second.text);
      expect(basicsRuns.of('search')).toBe(2);
    });

    it('keeps different values, and added parameters, apart by default', async () => {
      await get('/basics/search?a=1');
      expect((await get('/basics/search?a=2')).cache).toBe('MISS');
      expect((await get('/basics/search?a=1&c=3')).cache).toBe('MISS');
      expect((await get('/basics/search?a=1')).cache).toBe('HIT');
      expect(basicsRuns.of('search')).toBe(3);
    });

    it('with @CachePage({ query: [...] }) ignores the parameters not listed', async () => {
      const page2 = await get('/basics/list?page=2');
      expect(page2.cache).toBe('MISS');
      const tracked = await get('/basics/list?page=2&utm_source=x');
      expect(tracked.cache).toBe('HIT');
      expect(tracked.body.equals(page2.body)).toBe(true);
      const page3 = await get('/basics/list?utm_source=x&page=3');
      expect(page3.cache).toBe('MISS');
      expect(json(page3)).toMatchObject({ page: '3', run: 2 });
      expect(json(await get('/basics/list?page=3'))).toMatchObject({ page: '3', run: 2 });
      expect(json(await get('/basics/list?page=2&fbclid=y'))).toMatchObject({
        page: '2',
        run: 1,
      });
      expect(basicsRuns.of('list')).toBe(2);
    });
  });

  describe('HEAD', () => {
    it('is answered from the GET entry: same headers, no body', async () => {
      const get1 = await get('/basics/json?case=head');
      const head = await get('/basics/json?case=head', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.cache).toBe('HIT');
      expect(head.body.length).toBe(0);
      expect(head.headers.get('content-type')).toBe(get1.headers.get('content-type'));
      expect(head.headers.get('etag')).toBe(get1.headers.get('etag'));
      expect(head.headers.get('content-length')).toBe(String(get1.body.length));
      expect(basicsRuns.of('json')).toBe(1);
    });

    it('on a miss runs the handler, sends no body and stores nothing', async () => {
      const head = await get('/basics/json?case=head-first', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.cache).toBe('MISS');
      expect(head.body.length).toBe(0);
      const first = await get('/basics/json?case=head-first');
      expect(first.cache).toBe('MISS');
      expect(json(first)).toMatchObject({ run: 2 });
    });
  });

  describe('ETag', () => {
    it('is strong and the same on miss and hit', async () => {
      const miss = await get('/basics/json?case=etag');
      const hit = await get('/basics/json?case=etag');
      const etag = miss.headers.get('etag');
      expect(etag).toMatch(/^"[^"]+"$/);
      expect(hit.headers.get('etag')).toBe(etag);
      const text = await get('/basics/text?case=etag');
      expect(text.headers.get('etag')).toMatch(/^"[^"]+"$/);
      expect(text.headers.get('etag')).not.toBe(etag);
    });

    it('answers If-None-Match on a hit with 304 and no body', async () => {
      const miss = await get('/basics/json?case=conditional');
      const etag = miss.headers.get('etag')!;
      // Node's fetch adds `cache-control: no-cache` to this request; the 304 must happen anyway.
      const notModified = await get('/basics/json?case=conditional', {
        headers: { 'if-none-match': etag },
      });
      expect(notModified.status).toBe(304);
      expect(notModified.cache).toBe('HIT');
      expect(notModified.body.length).toBe(0);
      expect(notModified.headers.get('etag')).toBe(etag);

      const weak = await get('/basics/json?case=conditional', {
        headers: { 'if-none-match': `"other", W/${etag}` },
      });
      expect(weak.status).toBe(304);

      const changed = await get('/basics/json?case=conditional', {
        headers: { 'if-none-match': '"something-else"' },
      });
      expect(changed.status).toBe(200);
      expect(changed.cache).toBe('HIT');
      expect(changed.body.equals(miss.body)).toBe(true);
      expect(basicsRuns.of('json')).toBe(1);
    });
  });

  it('adds no Cache-Control max-age by default', async () => {
    const miss = await get('/basics/json?case=cache-control');
    const hit = await get('/basics/json?case=cache-control');
    expect(hit.cache).toBe('HIT');
    for (const page of [miss, hit]) {
      expect(page.headers.get('cache-control') ?? '').not.toMatch(/max-age/i);
    }
  });
});
