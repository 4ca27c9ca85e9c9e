import { CacheService } from 'nestjs-page-cache';
import { neverStoredModule, neverStoredRuns } from '../../fixtures/pages/never-stored.fixture.js';
import { fetchPage } from '../../support/fetch-page.js';
import { ADAPTERS, startApp, type RunningApp } from '../../support/http-app.js';
import { collectWarnings } from '../../support/warnings.js';

/** Requests each route this many times: the message must come once, not per request. */
const REQUESTS = 4;

describe.each(ADAPTERS)('messages for pages never stored, on %s', adapter => {
  let app: RunningApp;
  let warnings: string[] = [];

  beforeAll(async () => {
    app = await startApp(adapter, neverStoredModule(), nest => {
      warnings = collectWarnings(nest);
    });
  });
  afterAll(() => app.close());
  beforeEach(() => neverStoredRuns.reset());

  /** The warnings about one route. */
  const about = (handler: string) =>
    warnings.filter(warning => warning.startsWith(`NeverStoredController.${handler}: `));

  /** Requests `/never/{path}` REQUESTS times: each a MISS that ran the handler. */
  async function neverStored(path: string, init?: RequestInit): Promise<void> {
    for (let i = 0; i < REQUESTS; i++) {
      const page = await fetchPage(app, `/never/${path}`, init);
      expect(page.cache).toBe('MISS');
    }
    expect(neverStoredRuns.of(path)).toBe(REQUESTS);
  }

  /** The one message of a route: it names the reason and holds every piece of the fix. */
  function expectSaidOnce(handler: string, reason: string, ...fix: string[]): string {
    const said = about(handler);
    expect(said).toHaveLength(1);
    const [message] = said as [string];
    expect(message).toContain(`(${reason}). `);
    for (const part of fix) expect(message).toContain(part);
    expect(message).not.toContain('\n');
    return message;
  }

  it('says once that a route sets a cookie, and how to stop it', async () => {
    await neverStored('set-cookie');
    expectSaidOnce('setCookie', 'set-cookie', 'saveUninitialized: false', '@NoCache()');
  });

  it('says once that a response varies on Cookie, naming it and the per-user fix', async () => {
    await neverStored('vary-cookie');
    const message = expectSaidOnce('varyCookie', 'vary', '@VaryOn({ user: true })');
    expect(message).toContain('Vary: Cookie,');
  });

  it('says once that a handler encodes its own response', async () => {
    await neverStored('gzipped');
    const message = expectSaidOnce('gzipped', 'encoding', 'compression middleware');
    expect(message).toContain('Content-Encoding: gzip');
  });

  it('says once which Cache-Control directive keeps a response out', async () => {
    await neverStored('private');
    const message = expectSaidOnce('private', 'cache-control', '@NoCache()');
    expect(message).toContain('Cache-Control: private');
  });

  it('says once that a route streams its response', async () => {
    await neverStored('stream');
    expectSaidOnce('stream', 'stream', 'StreamableFile', 'Return the body whole');
  });

  it('says once that a response is over maxEntrySize, with its size', async () => {
    await neverStored('too-large');
    const message = expectSaidOnce('tooLarge', 'size', 'maxEntrySize');
    expect(message).toContain('1025 bytes');
  });

  it('says nothing of a 404: a status outside statuses is no mistake', async () => {
    for (let i = 0; i < REQUESTS; i++) {
      expect((await fetchPage(app, '/never/missing')).status).toBe(404);
    }
    expect(
      app.app.get(CacheService).stats().views['NeverStoredController.missing']?.bypasses,
    ).toEqual({
      status: REQUESTS,
    });
    expect(about('missing')).toEqual([]);
  });

  it("says once when a route's first 10 requests all carried Authorization", async () => {
    const withToken = { headers: { authorization: 'Bearer t' } };
    for (let i = 0; i < 9; i++) {
      expect((await fetchPage(app, '/never/token', withToken)).cache).toBe('BYPASS');
    }
    // Nine requests with a token may be users of their own: nothing said yet.
    expect(about('token')).toEqual([]);
    for (let i = 0; i < 5; i++) {
      expect((await fetchPage(app, '/never/token', withToken)).cache).toBe('BYPASS');
    }
    expectSaidOnce(
      'token',
      'authorization',
      '@VaryOn({ user: true })',
      'do not send Authorization',
    );
  });

  it('says nothing of Authorization on a route whose pages are cached for other requests', async () => {
    expect((await fetchPage(app, '/never/token-sometimes')).cache).toBe('MISS');
    const withToken = { headers: { authorization: 'Bearer t' } };
    for (let i = 0; i < 12; i++) {
      expect((await fetchPage(app, '/never/token-sometimes', withToken)).cache).toBe('BYPASS');
    }
    expect(about('tokenSometimes')).toEqual([]);
  });
});
