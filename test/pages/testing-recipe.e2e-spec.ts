import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { recipeModule, recipeRuns } from '../fixtures/pages/testing-recipe.fixture.js';
import { ADAPTERS } from '../support/http-app.js';
import { collectWarnings } from '../support/warnings.js';

/** How often the port changes before the cache says so, and a few requests more. */
const REQUESTS = 8;

/**
 * docs/testing.md, followed as written with real supertest: `await app.listen(0)` gives MISS then
 * HIT; Nest's own recipe (`await app.init()`) says once, for a route keyed by the Host as sent,
 * that the port changes on every request.
 */
describe.each(ADAPTERS)('the Testing guide with supertest on %s', (adapter, factory) => {
  let app: INestApplication;
  let warnings: string[] = [];

  beforeEach(async () => {
    recipeRuns.reset();
    const moduleFixture = await Test.createTestingModule({ imports: [recipeModule()] }).compile();
    app = moduleFixture.createNestApplication(factory(), { logger: ['error', 'warn'] });
    warnings = collectWarnings(app);
  });
  afterEach(() => app.close());

  /** Nest's recipe: init only (Fastify needs its own ready(), as Nest's docs say). */
  async function initOnly(): Promise<void> {
    await app.init();
    if (adapter === 'fastify') {
      await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    }
  }

  it('listen(0): MISS, then HIT, the handler run once', async () => {
    await app.listen(0);
    await request(app.getHttpServer()).get('/hello').expect(200).expect('X-Cache', 'MISS');
    await request(app.getHttpServer())
      .get('/hello')
      .expect(200)
      .expect('X-Cache', 'HIT')
      .expect({ hello: 'world' });
    expect(recipeRuns.of('hello')).toBe(1);
  });

  it('listen(0): a route keyed by the Host as sent is stored once its key form is learnt', async () => {
    await app.listen(0);
    const cache: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const response = await request(app.getHttpServer()).get('/where').expect(200);
      cache.push(String(response.headers['x-cache']));
    }
    // The first render read the Host: not stored, the route keyed as sent from then on.
    expect(cache).toEqual(['MISS', 'MISS', ...Array<string>(REQUESTS - 2).fill('HIT')]);
    expect(warnings.filter(warning => warning.includes('(changing-port)'))).toEqual([]);
  });

  it('init() only: a page keyed canonically is still a HIT (the server’s own port is not keyed)', async () => {
    await initOnly();
    await request(app.getHttpServer()).get('/hello').expect(200).expect('X-Cache', 'MISS');
    await request(app.getHttpServer()).get('/hello').expect(200).expect('X-Cache', 'HIT');
    expect(warnings.filter(warning => warning.includes('(changing-port)'))).toEqual([]);
  });

  it('init() only: a route keyed by the Host as sent misses every time, and the cache says so once', async () => {
    await initOnly();
    const ports = new Set<string>();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await request(app.getHttpServer())
        .get('/where')
        .expect(200)
        .expect('X-Cache', 'MISS');
      ports.add((response.body as { host: string }).host);
    }
    // supertest listened on a new port for each request.
    expect(ports.size).toBe(REQUESTS);
    expect(recipeRuns.of('where')).toBe(REQUESTS);
    const said = warnings.filter(warning => warning.includes('(changing-port)'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^RecipeController\.where: .*port.* every request/);
    expect(said[0]).toContain('await app.listen(0)');
  });
});
