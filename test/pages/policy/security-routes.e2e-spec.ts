import { VersioningType } from '@nestjs/common';
import { routesModule } from '../../fixtures/security/routes.fixture.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

describe.each(ADAPTERS)('a page belongs to its route, on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, routesModule(), nest => {
      nest.enableVersioning({ type: VersioningType.HEADER, header: 'x-api-version' });
    });
  });
  afterAll(() => app.close());

  it("applies each subclass's own settings to an inherited handler", async () => {
    const en = { 'accept-language': 'en', 'x-api-version': '1' };
    const fr = { 'accept-language': 'fr', 'x-api-version': '1' };
    expect((await rawRequest(app, '/inherited-public', en)).cache).toBe('MISS');
    expect((await rawRequest(app, '/inherited-language', en)).cache).toBe('MISS');
    const french = await rawRequest(app, '/inherited-language', fr);
    expect([french.cache, JSON.parse(french.body)]).toEqual(['MISS', { language: 'fr' }]);
    for (const headers of [en, fr]) {
      const answer = await rawRequest(app, '/inherited-none', headers);
      expect([answer.cache, JSON.parse(answer.body)]).toEqual([
        undefined,
        { language: headers['accept-language'] },
      ]);
    }
  });

  it('keeps two versions of a same-named controller apart', async () => {
    const v1 = await rawRequest(app, '/versioned', { 'x-api-version': '1' });
    const v2 = await rawRequest(app, '/versioned', { 'x-api-version': '2' });
    expect([v1.body, v2.body]).toEqual(['{"version":"1"}', '{"version":"2"}']);
    expect(v2.cache).toBe('MISS');
    expect((await rawRequest(app, '/versioned', { 'x-api-version': '2' })).body).toBe(
      '{"version":"2"}',
    );
  });

  it('bypasses a GET that carries a body (no key covers it)', async () => {
    const answer = await rawRequest(
      app,
      '/inherited-public',
      {
        'x-api-version': '1',
        'content-type': 'application/json',
        'content-length': '2',
      },
      'GET',
      '{}',
    );
    expect(answer.cache).toBe('BYPASS');
  });
});
