import { VersioningType, type INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { CacheService } from 'nestjs-page-cache';
import {
  judgementModule,
  renders,
  versionedModule,
} from '../../fixtures/security/judgement.fixture.js';
import {
  ANY_EDGE,
  PUBLIC_CACHE_CONTROL,
  startBehindVarnish,
} from '../../support/behind-varnish.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';
import { redisUrl } from '../../support/redis.js';
import { collectWarnings } from '../../support/warnings.js';
import { VarnishServer, varnishMissing } from '../../support/varnish.js';

const edge = ANY_EDGE;
const PUBLIC = PUBLIC_CACHE_CONTROL;

/** Versioning set-ups in which Nest, not the URL, picks the handler. */
const HEADER_SELECTED = [
  [
    'header',
    (app: INestApplication) =>
      app.enableVersioning({ type: VersioningType.HEADER, header: 'x-api-version' }),
    (version: string) => ({ 'x-api-version': version }),
  ],
  [
    'media type',
    (app: INestApplication) => app.enableVersioning({ type: VersioningType.MEDIA_TYPE, key: 'v=' }),
    (version: string) => ({ accept: `application/json;v=${version}` }),
  ],
  [
    'custom',
    (app: INestApplication) =>
      app.enableVersioning({
        type: VersioningType.CUSTOM,
        extractor: request =>
          String(
            (request as { headers: Record<string, unknown> }).headers['x-custom-version'] ?? '',
          ),
      }),
    (version: string) => ({ 'x-custom-version': version }),
  ],
] as const;

describe.each(ADAPTERS)('one judgement of what may be shared or skipped, on %s', adapter => {
  const apps: RunningApp[] = [];
  const start = async (
    module: Parameters<typeof startApp>[1],
    configure?: (app: INestApplication) => void,
  ) => {
    const app = await startApp(adapter, module, configure);
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(
      apps.splice(0).map(async app => {
        await app.app.get(CacheService).clear();
        await app.close();
      }),
    );
    renders.clear();
  });

  it('never answers a request-scoped controller before Nest builds it: strangers get 403, not the tenant page', async () => {
    const app = await start(judgementModule('judgement-scoped'));
    const member = { 'x-member': 'acme' };
    for (const expected of ['MISS', 'HIT', 'HIT']) {
      const page = await rawRequest(app, '/tenant/report', member);
      expect([page.status, page.cache]).toEqual([200, expected]);
    }
    for (const stranger of [{ 'x-member': 'globex' }, {}] as Record<string, string>[]) {
      for (let i = 0; i < 2; i++) {
        const answer = await rawRequest(app, '/tenant/report', stranger);
        expect(answer.status).toBe(403);
        expect(answer.body).not.toContain('acme revenue');
      }
    }
    expect(app.app.get(CacheService).stats().pages.earlyHits).toBe(0);
  });

  it('gives a request-scoped page neither edge tags nor public', async () => {
    const app = await start(
      judgementModule('judgement-scoped-edge', { pages: { edge, cacheControl: PUBLIC } }),
    );
    for (const expected of ['MISS', 'HIT']) {
      const page = await rawRequest(app, '/tenant/report', { 'x-member': 'acme' });
      expect([page.status, page.cache]).toEqual([200, expected]);
      expect(page.headers['surrogate-key']).toBeUndefined();
      expect(page.headers['cache-control']).toBe('private, max-age=30');
    }
  });

  it('sends a guarded page private, on its miss and its hits, with or without an edge', async () => {
    for (const pages of [{ cacheControl: PUBLIC }, { cacheControl: PUBLIC, edge }]) {
      const app = await start(judgementModule('judgement-guarded', { pages }));
      for (const expected of ['MISS', 'HIT']) {
        const page = await rawRequest(app, '/admin/dashboard', { cookie: 'admin=1' });
        expect([page.status, page.cache]).toEqual([200, expected]);
        expect(page.headers['cache-control']).toBe('private, max-age=30');
        expect(page.headers['surrogate-key']).toBeUndefined();
      }
      expect((await rawRequest(app, '/admin/dashboard')).status).toBe(403);
      // An open page the URL alone selects keeps the configured value.
      await rawRequest(app, '/open/home');
      const open = await rawRequest(app, '/open/home');
      expect([open.cache, open.headers['cache-control']]).toEqual(['HIT', PUBLIC]);
      expect(open.headers['surrogate-key'] !== undefined).toBe('edge' in pages);
    }
  });

  it('keys a route that reads the URL or host as sent by what it reads, and says so once', async () => {
    let warnings: string[] = [];
    const app = await start(judgementModule('judgement-spelling'), nest => {
      warnings = collectWarnings(nest);
    });
    // The first render read req.url under a canonical key: not stored.
    expect((await rawRequest(app, '/open/echo/a-b')).cache).toBe('MISS');
    expect((await rawRequest(app, '/open/echo/a-b')).cache).toBe('MISS');
    expect((await rawRequest(app, '/open/echo/a-b')).cache).toBe('HIT');
    for (const [target, host] of [
      ['/open/echo/%61-b', 'a.test'],
      ['/open/echo/a-b', 'A.TEST'],
    ]) {
      const first = await rawRequest(app, target, { host });
      expect(first.cache, `${target} ${host}`).toBe('MISS');
      expect(JSON.parse(first.body)).toEqual({ slug: 'a-b', url: target, host });
      const again = await rawRequest(app, target, { host });
      expect([again.cache, again.body]).toEqual(['HIT', first.body]);
    }
    const said = warnings.filter(w => w.includes('OpenController.echo'));
    expect(said).toEqual([expect.stringContaining('read the URL as sent (req.url)')]);
  });

  it.each(HEADER_SELECTED)(
    'gives neither edge tags nor public to pages Nest selects by %s versioning',
    async (_name, enable, select) => {
      const app = await start(
        versionedModule('judgement-versioned', { pages: { edge, cacheControl: PUBLIC } }),
        enable,
      );
      for (const version of ['1', '2', '1', '2']) {
        const page = await rawRequest(app, '/items', select(version));
        expect(page.status).toBe(200);
        expect(JSON.parse(page.body)).toMatchObject({ version: Number(version) });
        expect(page.headers['surrogate-key']).toBeUndefined();
        expect(page.headers['cache-control']).toBe('private, max-age=30');
      }
      expect(app.app.get(CacheService).stats().pages.earlyHits).toBe(0);
    },
  );
});

/** Every spelling of `text` with some unreserved characters percent-encoded, hex in any case. */
function escapedSpelling(text: string) {
  return fc
    .array(fc.tuple(fc.boolean(), fc.boolean()), {
      minLength: text.length,
      maxLength: text.length,
    })
    .map(choices =>
      [...text]
        .map((char, i) => {
          const [escape, lower] = choices[i]!;
          if (!escape) return char;
          const hex = char.charCodeAt(0).toString(16).toUpperCase();
          return `%${lower ? hex.toLowerCase() : hex}`;
        })
        .join(''),
    );
}

/** `example.com` in any letter case, with or without its default port. */
const hostSpelling = fc
  .tuple(fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }), fc.constantFrom('', ':80'))
  .map(
    ([upper, port]) =>
      [...'example.com'].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join('') + port,
  );

const growthRequest = fc.oneof(
  // A made-up id: a 404 every time.
  fc
    .string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcdefxyz0123456789') })
    .map(id => ({ target: `/open/articles/missing-${id}`, host: 'example.com' })),
  // A query value on an allowlisted route: a page per value (each stored), nothing else.
  fc
    .integer({ min: 1, max: 40 })
    .map(page => ({ target: `/open/list?page=${page}`, host: 'example.com' })),
  // One page under any spelling of its path or its host.
  escapedSpelling('hello-world').map(slug => ({
    target: `/open/articles/${slug}`,
    host: 'example.com',
  })),
  hostSpelling.map(host => ({ target: '/open/home', host })),
);

describe('a render longer than the render lease', () => {
  it('is not stored, and is said once, with the fix', async () => {
    let warnings: string[] = [];
    const app = await startApp('express', judgementModule('render-lease'), nest => {
      warnings = collectWarnings(nest);
    });
    try {
      expect((await rawRequest(app, '/open/slow?ms=61000')).cache).toBe('MISS');
      await vi.waitFor(
        () =>
          expect(warnings.filter(w => w.startsWith('OpenController.slow: '))).toEqual([
            "OpenController.slow: a render took 61 s, longer than the 60 s a miss holds its data's generation tokens, so its page was not stored (render-time). Make the render faster, or cache its slow part with getOrSet().",
          ]),
        { timeout: 5_000 },
      );
      expect(app.app.get(CacheService).stats().pages.bypasses['render-time']).toBe(1);
    } finally {
      await app.app.get(CacheService).clear();
      await app.close();
    }
  }, 90_000);
});

describe.each(ADAPTERS)('a key no client can multiply, on %s', adapter => {
  let app: RunningApp;
  let redis: Redis;

  beforeAll(async () => {
    app = await startApp(
      adapter,
      judgementModule('growth', { pages: { hosts: ['example.com'], unkeyedInputs: 'off' } }),
    );
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
    redis.disconnect();
  });

  it('1,000 requests with made-up ids, query values, host and path spellings store the pages and nothing that outlives them', async () => {
    const requests = fc.sample(growthRequest, { numRuns: 1_000, seed: 22 });
    const lists = new Set<string>();
    for (const { target, host } of requests) {
      const answer = await rawRequest(app, target, { host });
      expect(answer.status, target).toBe(target.includes('missing') ? 404 : 200);
      if (target.startsWith('/open/list')) lists.add(target);
    }
    // Every spelling of one page is one entry, hit by every spelling.
    for (const target of ['/open/articles/hello%2Dworld', '/open/articles/%68ello-world']) {
      expect((await rawRequest(app, target, { host: 'example.com' })).cache, target).toBe('HIT');
    }
    expect((await rawRequest(app, '/open/home', { host: 'EXAMPLE.COM:80' })).cache).toBe('HIT');

    const namespace = app.app.get(CacheService).namespace;
    const keys = await redis.keys(`${namespace}:*`);
    const pages = keys.filter(key => key.startsWith(`${namespace}:page:`));
    // home, hello-world, and one per list page: nothing for the 404s or the other spellings.
    expect(pages.length).toBe(2 + lists.size);
    const pageMs = 60_000;
    let beyondPages = 0;
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      // Nothing lives forever, and nothing outlives the pages by more than a minute.
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(pageMs + 60_000);
      if (ttl > 60_000 && !key.startsWith(`${namespace}:page:`)) beyondPages++;
    }
    // What outlives the next minute besides the pages: their index sets and tokens — a page's
    // model, entity and URL tags (2 or 4 per page), never one per request.
    expect(beyondPages).toBeLessThanOrEqual(4 * pages.length);
  });
});

const missing = varnishMissing();

describe.skipIf(missing !== undefined).each(ADAPTERS)(
  'header-versioned pages through Varnish on %s',
  adapter => {
    let app: RunningApp;
    let varnish: VarnishServer;

    beforeEach(async () => {
      ({ app, varnish } = await startBehindVarnish(
        module =>
          startApp(adapter, module, nest => {
            nest.enableVersioning({ type: VersioningType.HEADER, header: 'x-api-version' });
          }),
        edge => versionedModule('judgement-varnish', { pages: { edge } }),
      ));
    }, 60_000);
    afterEach(async () => {
      await app?.app.get(CacheService).clear();
      await varnish?.remove();
      await app?.close();
    });

    it('gives each version its own page: the edge keeps neither', async () => {
      for (const version of ['2', '1', '2', '1']) {
        const answer = await fetch(`${varnish.url}/items`, {
          headers: { 'x-api-version': version },
        });
        expect(await answer.json(), `version ${version}`).toMatchObject({
          version: Number(version),
        });
      }
    });
  },
);
