import type { INestApplication } from '@nestjs/common';
import session from 'express-session';
import { Redis } from 'ioredis';
import { CacheService, type PageRequest } from 'nestjs-page-cache';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import onHeaders from 'on-headers';
import {
  closeManualEventsGate,
  responseModule,
  responseRuns,
} from '../../fixtures/security/response.fixture.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';
import { redisUrl } from '../../support/redis.js';
import { collectWarnings } from '../../support/warnings.js';

const body = <T = Record<string, unknown>>(answer: { body: string }): T =>
  JSON.parse(answer.body) as T;

/** Starts a session the way express-session does: its cookie is added while the head is written. */
function startSession(
  request: IncomingMessage & { csrf?: string },
  response: ServerResponse,
  next: () => void,
): void {
  const token = randomUUID();
  request.csrf = token;
  onHeaders(response, function (this: ServerResponse) {
    this.setHeader('set-cookie', `sid=${token}; Path=/; HttpOnly`);
  });
  next();
}

describe.each(ADAPTERS)('what is stored is what was sent, on %s', adapter => {
  const apps: RunningApp[] = [];
  const start = async (
    options: Parameters<typeof responseModule>[0] = {},
    configure?: (app: INestApplication) => void,
    trustProxy = false,
  ) => {
    const app = await startApp(adapter, responseModule(options), configure, { trustProxy });
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.close()));
    responseRuns.reset();
  });

  it('never stores a response whose Set-Cookie is added while its head is written', async () => {
    const app = await start({}, nest => nest.use(startSession));
    const first = await rawRequest(app, '/form');
    const second = await rawRequest(app, '/form');
    expect(first.headers['set-cookie']).toBeDefined();
    expect(second.cache).not.toBe('HIT');
    expect(body(second).csrf).not.toBe(body(first).csrf);
    expect(second.headers['set-cookie']?.[0]).toContain(String(body(second).csrf));
  });

  it.runIf(adapter === 'express')(
    'never stores the page that starts an express-session',
    async () => {
      const app = await start({}, nest =>
        nest.use(session({ secret: 'test', resave: false, saveUninitialized: true })),
      );
      const first = await rawRequest(app, '/form');
      const second = await rawRequest(app, '/form');
      expect(first.headers['set-cookie']?.[0]).toMatch(/^connect\.sid=/);
      expect(second.cache).not.toBe('HIT');
      expect(second.headers['set-cookie']?.[0]).toMatch(/^connect\.sid=/);
      expect(second.headers['set-cookie']?.[0]).not.toBe(first.headers['set-cookie']?.[0]);
    },
  );

  it('refreshes a stale page through the app serializer, as a miss is', async () => {
    const app = await start();
    const first = await rawRequest(app, '/profile');
    expect(body(first)).toEqual({ id: 1, name: 'user v1' });
    await sleep(350);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await rawRequest(app, '/profile'));
      await sleep(50);
    }
    // Whoever refreshed it, every body went through ClassSerializerInterceptor.
    for (const answer of answers) expect(answer.body).not.toContain('passwordHash');
    expect(answers.map(answer => answer.cache)).toEqual(['MISS', 'HIT', 'HIT']);
    expect(body(answers[2]!)).toEqual({ id: 2, name: 'user v2' });
  });

  it('never sends public Cache-Control on a personalised page', async () => {
    const app = await start({
      user: request => request.headers['x-account'] as string | undefined,
      pages: { cacheControl: 'public, max-age=60, s-maxage=600' },
    });
    for (const path of ['/me', '/theme']) {
      for (const expected of ['MISS', 'HIT']) {
        const answer = await rawRequest(app, path, { 'x-account': 'alice', cookie: 'theme=dark' });
        expect([answer.cache, answer.headers['cache-control']], path).toEqual([
          expected,
          'private, max-age=60',
        ]);
      }
    }
    await rawRequest(app, '/public');
    const shared = await rawRequest(app, '/public');
    expect([shared.cache, shared.headers['cache-control']]).toEqual([
      'HIT',
      'public, max-age=60, s-maxage=600',
    ]);
  });

  it('bypasses when the module user function gives an object, or nothing for a request with credentials', async () => {
    const app = await start({
      // A JavaScript caller (or an `any`) can return an object: it must not become one shared key.
      user: ((request: PageRequest) =>
        request.headers['x-account'] ? { id: 1 } : undefined) as unknown as (
        request: PageRequest,
      ) => string,
    });
    const object = await rawRequest(app, '/me', { 'x-account': 'alice' });
    const nothing = await rawRequest(app, '/me', { authorization: 'Bearer bob' });
    expect([object.cache, nothing.cache]).toEqual(['BYPASS', 'BYPASS']);
    const anonymous = [await rawRequest(app, '/me'), await rawRequest(app, '/me')];
    expect(anonymous.map(answer => answer.cache)).toEqual(['MISS', 'HIT']);
  });

  it('keys host and protocol as the framework reports them behind a trusted proxy', async () => {
    const app = await start({}, undefined, true);
    const forged = await rawRequest(app, '/links', {
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    expect(body(forged).self).toBe('https://evil.example/links');
    const plain = await rawRequest(app, '/links');
    expect(plain.cache).toBe('MISS');
    expect(body(plain).self).toBe(`http://${new URL(app.url).host}/links`);
    const again = await rawRequest(app, '/links');
    expect([again.cache, again.body]).toEqual(['HIT', plain.body]);
  });

  it('never caches server-sent events, even in site-wide mode', async () => {
    const app = await start({ pages: { global: true } });
    for (let i = 0; i < 2; i++) {
      const answer = await rawRequest(app, '/events');
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('data: {"hello":"world"}');
      expect(answer.cache).toBeUndefined();
    }
    expect(responseRuns.of('events')).toBe(2);
  });

  it('caches only for allowed hosts; a forged Host creates nothing in Redis', async () => {
    const app = await start({ pages: { hosts: ['example.com', '.example.org'] } });
    const namespace = app.app.get(CacheService).namespace;
    const redis = new Redis(redisUrl());
    try {
      for (const host of [
        'evil.test',
        'example.com.evil.test',
        'notexample.org',
        'example.com:@evil.test',
        'example.com:x',
        // A port that is neither the default nor the server's own is another host, unlisted.
        'example.com:8080',
        'www.example.org:8443',
      ]) {
        const answer = await rawRequest(app, '/public', { host });
        expect(answer.cache, host).toBe('BYPASS');
      }
      expect(await redis.keys(`${namespace}:*`)).toEqual([]);
      for (const host of ['example.com', 'www.example.org', 'EXAMPLE.ORG']) {
        await rawRequest(app, '/public', { host });
        expect((await rawRequest(app, '/public', { host })).cache, host).toBe('HIT');
      }
      // Letter case and the default port spell one host: one entry, hit by every spelling.
      for (const host of ['Example.COM', 'example.com:80', 'EXAMPLE.com:80']) {
        expect((await rawRequest(app, '/public', { host })).cache, host).toBe('HIT');
      }
    } finally {
      redis.disconnect();
    }
  });

  it('allows a port listed with its host, and only that port', async () => {
    const app = await start({ pages: { hosts: ['example.com:8080', '.example.org:8443'] } });
    for (const [host, cache] of [
      ['example.com:8080', 'MISS'],
      ['EXAMPLE.com:8080', 'HIT'],
      ['www.example.org:8443', 'MISS'],
      ['example.com', 'BYPASS'],
      ['example.com:8081', 'BYPASS'],
    ] as const) {
      expect((await rawRequest(app, '/public', { host })).cache, host).toBe(cache);
    }
  });

  it('checks the Host header itself behind a trusted proxy', async () => {
    const app = await start({ pages: { hosts: ['example.com'] } }, undefined, true);
    for (const host of ['a.evil', 'b.evil']) {
      const answer = await rawRequest(app, '/links', { host, 'x-forwarded-host': 'example.com' });
      expect(answer.cache, host).toBe('BYPASS');
    }
  });

  it('answers when the user function throws: the request bypasses', async () => {
    const app = await start({
      user: (request: PageRequest) => (request.user as { userId: string }).userId,
    });
    const answer = await rawRequest(app, '/me');
    expect([answer.status, answer.cache]).toEqual([200, 'BYPASS']);
  });

  it('sends the head of hand-written server-sent events at once', async () => {
    const app = await start();
    const open = closeManualEventsGate();
    const { hostname, port } = new URL(app.url);
    const { request } = await import('node:http');
    // The head must arrive while the handler still holds its body (it ends only once we open).
    const response = await new Promise<import('node:http').IncomingMessage>(resolve => {
      request({ host: hostname, port, path: '/manual-events' }, resolve).end();
    });
    expect(response.headers['content-type']).toBe('text/event-stream');
    open();
    let text = '';
    for await (const chunk of response) text += String(chunk);
    expect(text).toBe('data: done\n\n');
    expect(response.headers['x-cache']).toBe('MISS');
  });

  describe('the unkeyed-input detector', () => {
    it('reports a handler that reads every header through rawHeaders', async () => {
      let warnings: string[] = [];
      const app = await start({}, nest => {
        warnings = collectWarnings(nest);
      });
      await rawRequest(app, '/detect/raw-headers', { 'x-tenant': 'evil' });
      expect(warnings.filter(w => w.includes('readsRawHeaders'))).toEqual([
        'ResponseController.readsRawHeaders read req.rawHeaders, which holds every request header, most of them not in its key: read the ones you need from req.headers and add them to @VaryOn(), or @NoCache()',
      ]);
    });

    it('reports a handler that reads the whole URL of an allowlisted page', async () => {
      let warnings: string[] = [];
      const app = await start({}, nest => {
        warnings = collectWarnings(nest);
      });
      await rawRequest(app, '/detect/url?page=2&x=1');
      // The route is keyed by its whole target as sent from then on (the allowlist no longer
      // bounds it): said once.
      expect(warnings.filter(w => w.includes('readsUrl'))).toEqual([
        'ResponseController.readsUrl read the URL as sent (req.url): its pages are now keyed by the request as sent, so each spelling of a URL or host (letter case, a default port, %-escapes) is an entry of its own. Read @Param() and @Query() instead to share one entry.',
      ]);
    });

    it('warns once about a header the handler read that is not in its key', async () => {
      let warnings: string[] = [];
      const app = await start({}, nest => {
        warnings = collectWarnings(nest);
      });
      await rawRequest(app, '/detect/header', { 'x-forwarded-host': 'a.example' });
      await rawRequest(app, '/detect/header?again', { 'x-forwarded-host': 'b.example' });
      expect(warnings.filter(w => w.includes('unkeyed') || w.includes('not in its key'))).toEqual([
        "ResponseController.readsForwardedHost read header 'x-forwarded-host', which is not in its key: add @VaryOn('x-forwarded-host') or @NoCache()",
      ]);
      // 'warn' still stores the page.
      expect((await rawRequest(app, '/detect/header')).cache).toBe('HIT');
      await rawRequest(app, '/detect/query?page=1&sort=name');
      expect(warnings).toContain(
        `ResponseController.readsUnlistedParameter read query parameter 'sort', which is not in its key: add "sort" to @CachePage({ query }) or @NoCache()`,
      );
    });

    it('stays quiet about keyed inputs and the framework reading forwarded headers', async () => {
      let warnings: string[] = [];
      const app = await start({}, nest => {
        warnings = collectWarnings(nest);
      });
      await rawRequest(app, '/detect/keyed', { 'x-variant': 'a' });
      await rawRequest(app, '/detect/hostname', { 'x-forwarded-host': 'a.example' });
      await rawRequest(app, '/public', { 'if-none-match': '"x"', 'accept-encoding': 'gzip' });
      expect(warnings.filter(w => w.includes('not in its key'))).toEqual([]);
    });

    it("in 'bypass' mode does not store a page that read an unkeyed input", async () => {
      const app = await start({ pages: { unkeyedInputs: 'bypass' } });
      await rawRequest(app, '/detect/header', { 'x-forwarded-host': 'a.example' });
      const second = await rawRequest(app, '/detect/header', { 'x-forwarded-host': 'b.example' });
      expect([second.cache, body(second).host]).toEqual(['MISS', 'b.example']);
      expect(
        app.app.get(CacheService).stats().views['ResponseController.readsForwardedHost'],
      ).toMatchObject({ writes: 0, bypasses: { 'unkeyed-input': 2 } });
      await rawRequest(app, '/detect/keyed', { 'x-variant': 'a' });
      expect((await rawRequest(app, '/detect/keyed', { 'x-variant': 'a' })).cache).toBe('HIT');
    });
  });
});
