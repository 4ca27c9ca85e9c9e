/**
 * With `pages.hosts` set and `trust proxy` / `trustProxy` on, a client must not multiply the
 * entries of one page through the forwarded headers: `X-Forwarded-Host` with a port that is not
 * listed, or an `X-Forwarded-Proto` other than http or https, creates nothing.
 */
import { CacheService } from 'nestjs-page-cache';
import { catalogModule } from '../../fixtures/security/catalog.fixture.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

describe.each(ADAPTERS)('growth through forwarded headers, on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(
      adapter,
      catalogModule(`key-growth-${adapter}`, ['shop.test']),
      undefined,
      {
        trustProxy: true,
      },
    );
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });
  afterEach(async () => app.app.get(CacheService).clear());

  it('an unlisted X-Forwarded-Host port creates nothing', async () => {
    const stored: string[] = [];
    for (const port of ['1', '2', '3', 'junk', '99999']) {
      const headers = { host: 'shop.test', 'x-forwarded-host': `shop.test:${port}` };
      await rawRequest(app, '/catalog?page=1', headers);
      const again = await rawRequest(app, '/catalog?page=1', headers);
      if (again.cache === 'HIT') stored.push(port);
    }
    expect(stored, 'ports that got an entry of their own').toEqual([]);
  });

  it('an arbitrary X-Forwarded-Proto creates nothing', async () => {
    const stored: string[] = [];
    for (const proto of ['a1', 'a2', 'a3', 'gopher']) {
      const headers = { host: 'shop.test', 'x-forwarded-proto': proto };
      await rawRequest(app, '/catalog?page=1', headers);
      const again = await rawRequest(app, '/catalog?page=1', headers);
      if (again.cache === 'HIT') stored.push(proto);
    }
    expect(stored, 'protocols that got an entry of their own').toEqual([]);
  });
});
