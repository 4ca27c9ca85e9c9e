import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheService, ENTITY_SAVED } from 'nestjs-page-cache';
import {
  closeSlowGate,
  keyedModule,
  keyedRuns,
  POST_TITLES,
} from '../../fixtures/security/keyed.fixture.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';
import { collectWarnings } from '../../support/warnings.js';

const body = <T = Record<string, unknown>>(answer: { body: string }): T =>
  JSON.parse(answer.body) as T;

describe.each(ADAPTERS)('the key is the request as the handler sees it, on %s', adapter => {
  let app: RunningApp;
  let warnings: string[];
  const get = (target: string, headers?: Record<string, string>) =>
    rawRequest(app, target, headers);

  beforeAll(async () => {
    app = await startApp(adapter, keyedModule(), nest => {
      warnings = collectWarnings(nest);
    });
  });
  afterAll(() => app.close());
  beforeEach(() => keyedRuns.reset());

  describe('the query as the adapter parses it', () => {
    it('?? does not poison the entry of ?page=2 on an allowlisted page', async () => {
      const odd = await get('/list??page=2');
      // The framework sees a parameter named "?page": the handler renders page 1.
      expect(body(odd)).toEqual({ page: '1' });
      const real = await get('/list?page=2');
      expect(real.cache).toBe('MISS');
      expect(body(real)).toEqual({ page: '2' });
      const again = await get('/list?page=2');
      expect([again.cache, body(again)]).toEqual(['HIT', { page: '2' }]);
    });

    it('1,000 parameters before page=4 do not poison ?page=4', async () => {
      const junk = Array.from({ length: 1000 }, (_, i) => `j${i}=1`).join('&');
      const odd = await get(`/list?${junk}&page=4`);
      const seen = body<{ page: string }>(odd).page;
      const real = await get('/list?page=4');
      expect(body(real)).toEqual({ page: '4' });
      // Whatever the adapter read from the long URL, a hit of it shows what it read.
      const oddAgain = await get(`/list?${junk}&page=4`);
      expect(body<{ page: string }>(oddAgain).page).toBe(seen);
    });

    it('keeps ?x=<b> and ?x=%3Cb%3E apart: the handler sees two different URLs', async () => {
      const encoded = await get('/echo?x=%3Cb%3E');
      const literal = await get('/echo?x=<b>');
      expect(literal.cache).toBe('MISS');
      expect(body(literal).url).toBe('/echo?x=<b>');
      expect(body(encoded).url).toBe('/echo?x=%3Cb%3E');
      expect(body(await get('/echo?x=<b>')).url).toBe('/echo?x=<b>');
    });

    it('keeps invalid UTF-8 apart: %FF and %FE are two entries', async () => {
      const ff = await get('/echo?x=%FF');
      const fe = await get('/echo?x=%FE');
      expect(fe.cache).toBe('MISS');
      expect(body(fe).url).toBe('/echo?x=%FE');
      const again = await get('/echo?x=%FF');
      expect([again.cache, again.body]).toEqual(['HIT', ff.body]);
    });
  });

  describe('the principal must exist to be varied on', () => {
    it('a principal without id bypasses, and warns once naming the fix', async () => {
      const alice = await get('/me', { authorization: 'Bearer alice' });
      const bob = await get('/me', { authorization: 'Bearer bob' });
      expect([alice.cache, body(alice)]).toEqual(['BYPASS', { user: 'alice' }]);
      expect([bob.cache, body(bob)]).toEqual(['BYPASS', { user: 'bob' }]);
      const anonymous = [await get('/me'), await get('/me')];
      expect(anonymous.map(answer => answer.cache)).toEqual(['MISS', 'HIT']);
      expect(body(anonymous[1]!)).toEqual({ user: null });
      const advice = warnings.filter(w => w.includes('KeyedController.me') && w.includes('user'));
      expect(advice).toHaveLength(1);
      expect(advice[0]).toContain('req.user.id');
    });
  });

  describe('entity ids in the form events carry them', () => {
    it('an event for 7 clears the page of /posts/07 (parse: Number)', async () => {
      const first = await get('/posts/07');
      expect([first.cache, body(first).title]).toEqual(['MISS', 'seven v0']);
      expect((await get('/posts/07')).cache).toBe('HIT');
      POST_TITLES.set(7, 'seven v1');
      try {
        await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: 'Post', id: 7 });
        const after = await get('/posts/07');
        expect(after.cache).toBe('MISS');
        expect(body(after).title).toBe('seven v1');
      } finally {
        POST_TITLES.set(7, 'seven v0');
        await app.app.get(EventEmitter2).emitAsync(ENTITY_SAVED, { model: 'Post', id: 7 });
      }
    });

    it('without parse, an id in another spelling is not cached; the canonical one is', async () => {
      for (const spelling of ['07', '+7', '7.0']) {
        expect((await get(`/raw-posts/${spelling}`)).cache, spelling).toBe('BYPASS');
      }
      expect((await get('/raw-posts/7')).cache).toBe('MISS');
      expect((await get('/raw-posts/7')).cache).toBe('HIT');
      expect(warnings.some(w => w.includes('KeyedController.rawShow') && w.includes('parse'))).toBe(
        true,
      );
    });

    it('warns once per route and reason, with nothing taken from the requests', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `0${i + 1}`);
      for (const id of ids) expect((await get(`/raw-posts/${id}`)).cache).toBe('BYPASS');
      const said = warnings.filter(w => w.includes('KeyedController.rawShow'));
      expect(said).toHaveLength(1);
      for (const id of ids) expect(said[0]).not.toContain(`"${id}"`);
    });

    it('expirePage reaches every spelling of a URL the router accepts', async () => {
      const spellings = ['/posts/3', '/posts/3/', '/POSTS/3', '/posts/%33', '/Posts/3?'];
      let served = 0;
      for (const spelling of spellings) {
        const first = await get(spelling);
        if (first.status !== 200) continue;
        served++;
        expect((await get(spelling)).cache, spelling).toBe('HIT');
        await app.app.get(CacheService).expirePage('/posts/3');
        expect((await get(spelling)).cache, spelling).toBe('MISS');
      }
      // Express routes all of them to the handler; Fastify at least /posts/3 and /posts/%33.
      expect(served).toBeGreaterThanOrEqual(adapter === 'express' ? 5 : 2);
    });
  });

  describe('conditional requests', () => {
    it('a stored 404 never answers If-None-Match with 304', async () => {
      const first = await get('/missing');
      expect(first.status).toBe(404);
      const stored = await get('/missing');
      expect([stored.status, stored.cache]).toEqual([404, 'HIT']);
      const star = await get('/missing', { 'if-none-match': '*' });
      expect([star.status, star.cache]).toEqual([404, 'HIT']);
      const own = await get('/missing', { 'if-none-match': String(stored.headers.etag) });
      expect(own.status).toBe(404);
    });

    it('an ETag that contains a comma matches whole', async () => {
      await get('/comma-etag');
      const hit = await get('/comma-etag');
      expect(hit.headers.etag).toBe('"a,b"');
      const conditional = await get('/comma-etag', { 'if-none-match': '"x", "a,b"' });
      expect([conditional.status, conditional.cache]).toEqual([304, 'HIT']);
      const other = await get('/comma-etag', { 'if-none-match': '"a"' });
      expect(other.status).toBe(200);
    });
  });

  describe('streams and server-sent events', () => {
    it('a client that stops reading a stream holds no other request', async () => {
      const { hostname, port } = new URL(app.url);
      const { request } = await import('node:http');
      const stalled = await new Promise<import('node:http').IncomingMessage>(resolve => {
        request({ host: hostname, port, path: '/stream' }, resolve).end();
      });
      stalled.pause();
      try {
        // Would wait for the stalled stream's render if it still held the page's fill.
        const second = await get('/stream');
        expect(second.status).toBe(200);
        expect(second.body.length).toBe(256 * 64 * 1024);
        expect(second.cache).toBe('MISS');
      } finally {
        stalled.destroy();
      }
    });

    it('waiting for another request of this process to render is bounded', async () => {
      const open = closeSlowGate();
      const first = get('/slow');
      try {
        // The first render waits for the gate; the second stops waiting for it and renders.
        const second = await get('/slow');
        expect(body(second).run).toBe(2);
      } finally {
        open();
      }
      expect(body(await first).run).toBe(1);
    });
  });
});
