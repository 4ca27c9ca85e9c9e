import { fetchPage, type Page } from '../../support/fetch-page.js';
import {
  MAX_ENTRY_SIZE,
  neverStoredModule,
  neverStoredRuns,
} from '../../fixtures/pages/never-stored.fixture.js';
import { MATRIX } from '../../support/backends.js';
import { startApp, type RunningApp } from '../../support/http-app.js';

describe.each(MATRIX)('responses the page cache never stores on %s/%s', (adapter, backend) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter, neverStoredModule(backend));
  });
  afterAll(() => app.close());
  beforeEach(() => neverStoredRuns.reset());

  /** Requests the page twice; both must be misses that ran the handler. */
  async function expectNeverStored(name: string): Promise<[Page, Page]> {
    const first = await fetchPage(app, `/never/${name}`);
    const second = await fetchPage(app, `/never/${name}`);
    expect(first.cache).toBe('MISS');
    expect(second.cache).toBe('MISS');
    expect(neverStoredRuns.of(name)).toBe(2);
    return [first, second];
  }

  it('stores an ordinary page (the control)', async () => {
    await fetchPage(app, '/never/ok');
    expect((await fetchPage(app, '/never/ok')).cache).toBe('HIT');
    expect(neverStoredRuns.of('ok')).toBe(1);
  });

  it('does not store a status outside statuses: a 404 by default', async () => {
    const [first, second] = await expectNeverStored('missing');
    expect(first.status).toBe(404);
    expect(second.status).toBe(404);
  });

  it('stores a 404 with @CachePage({ statuses: [200, 404] })', async () => {
    const miss = await fetchPage(app, '/never/missing-stored');
    const hit = await fetchPage(app, '/never/missing-stored');
    expect([miss.status, hit.status]).toEqual([404, 404]);
    expect([miss.cache, hit.cache]).toEqual(['MISS', 'HIT']);
    expect(hit.body.equals(miss.body)).toBe(true);
    expect(hit.text).toContain('no such page (run 1)');
    expect(neverStoredRuns.of('missing-stored')).toBe(1);
  });

  it('does not store a response that sets a cookie', async () => {
    const [first, second] = await expectNeverStored('set-cookie');
    expect(first.headers.get('set-cookie')).toContain('session=s1');
    expect(second.headers.get('set-cookie')).toContain('session=s2');
  });

  it.each(['private', 'no-store', 'no-cache'])(
    'does not store a response with Cache-Control %s (in any case)',
    async name => {
      const [first] = await expectNeverStored(name);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toMatch(new RegExp(name, 'i'));
    },
  );

  it('does not store a response with Vary: *', async () => {
    const [first] = await expectNeverStored('vary-star');
    expect(first.headers.get('vary')).toBe('*');
  });

  it('never stores a response under a key that lacks a header its own Vary names: it learns it', async () => {
    const first = await fetchPage(app, '/never/own-vary', {
      headers: { origin: 'https://a.test' },
    });
    const second = await fetchPage(app, '/never/own-vary', {
      headers: { origin: 'https://b.test' },
    });
    const again = await fetchPage(app, '/never/own-vary', {
      headers: { origin: 'https://a.test' },
    });
    expect([first.cache, second.cache, again.cache]).toEqual(['MISS', 'MISS', 'HIT']);
    expect(neverStoredRuns.of('own-vary')).toBe(2);
    for (const page of [first, second, again]) {
      expect(page.headers.get('vary')).toBe('Origin, accept-language');
    }
  });

  it('does not store a StreamableFile', async () => {
    const [first, second] = await expectNeverStored('stream');
    expect(first.text).toBe('streamed run 1');
    expect(second.text).toBe('streamed run 2');
  });

  it('does not store a body over maxEntrySize, and stores one of exactly that size', async () => {
    const [first] = await expectNeverStored('too-large');
    expect(first.body.length).toBe(MAX_ENTRY_SIZE + 1);
    await fetchPage(app, '/never/just-fits');
    const fits = await fetchPage(app, '/never/just-fits');
    expect(fits.cache).toBe('HIT');
    expect(fits.body.length).toBe(MAX_ENTRY_SIZE);
    expect(neverStoredRuns.of('just-fits')).toBe(1);
  });
});
