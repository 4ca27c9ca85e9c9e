import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule, CacheService } from 'nestjs-page-cache';
import { opsModule, opsRuns } from '../fixtures/operability/ops.fixture.js';
import { fetchPage } from '../support/fetch-page.js';
import { ADAPTERS, startApp } from '../support/http-app.js';

describe("the dummy store (store: 'none')", () => {
  let module: TestingModule;
  let cache: CacheService;

  beforeAll(async () => {
    module = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ store: 'none' })],
    }).compile();
    await module.init();
    cache = module.get(CacheService);
  });
  afterAll(() => module.close());

  it('accepts every write and finds nothing', async () => {
    await cache.set('a', { x: 1 });
    await cache.set('b', 2, { ttl: '1m', models: ['Post'] });
    await cache.setMany({ c: 3, d: 4 }, '1m');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.has('a')).toBe(false);
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual(new Map());
    expect(await cache.add('a', 1)).toBe(true);
    expect(await cache.add('a', 1)).toBe(true);
    expect(await cache.ttl('a')).toBeUndefined();
    expect(await cache.touch('a', '1m')).toBe(false);
  });

  it('calls the factory of getOrSet every time', async () => {
    let runs = 0;
    const factory = () => ++runs;
    expect(await cache.getOrSet('computed', factory)).toBe(1);
    expect(await cache.getOrSet('computed', factory, { ttl: '1m', models: ['Post'] })).toBe(2);
    expect(runs).toBe(2);
  });

  it('deletes, scans, clears and invalidates nothing', async () => {
    expect(await cache.delete('a')).toBe(false);
    expect(await cache.deleteMany(['a', 'b'])).toBe(0);
    expect(await cache.deletePattern('*')).toBe(0);
    const keys: string[] = [];
    for await (const key of cache.keys()) keys.push(key);
    expect(keys).toEqual([]);
    expect(await cache.clear()).toBe(0);
    expect(await cache.invalidate('Post', 1)).toBe(0);
    expect(await cache.expirePage('/posts')).toBe(0);
    expect(await cache.pruneIndex()).toBe(0);
  });

  it('counts from the delta, and always grants locks', async () => {
    expect(await cache.incr('n')).toBe(1);
    expect(await cache.incr('n', 5)).toBe(5);
    expect(await cache.decr('n', 2)).toBe(-2);
    const first = await cache.lock('job', { ttl: '1s' });
    const second = await cache.lock('job', { ttl: '1s' });
    expect(await first.release()).toBe(true);
    expect(await second.release()).toBe(true);
  });

  it('still validates its input', async () => {
    await expect(cache.set('', 1)).rejects.toThrow(TypeError);
    await expect(cache.set('a', 1n)).rejects.toThrow(TypeError);
    await expect(cache.lock('job', { ttl: 0 })).rejects.toThrow(TypeError);
  });

  it('answers PING, with the breaker closed', async () => {
    expect(await cache.ping()).toBeGreaterThanOrEqual(0);
    expect(cache.stats()).toMatchObject({ cache: 'default', storeErrors: 0, breaker: 'closed' });
  });
});

describe.each(ADAPTERS)('pages with the dummy store on %s', adapter => {
  it('always misses: every request runs its handler', async () => {
    opsRuns.reset();
    const app = await startApp(adapter, opsModule({ store: 'none' }));
    try {
      for (let run = 1; run <= 3; run++) {
        const page = await fetchPage(app, '/ops/page/dummy');
        expect(page.status).toBe(200);
        expect(page.cache).toBe('MISS');
        expect(JSON.parse(page.text)).toEqual({ id: 'dummy', run });
        const entity = await fetchPage(app, '/ops/post/1');
        expect(entity.cache).toBe('MISS');
      }
      expect(opsRuns.of('page')).toBe(3);
      expect(opsRuns.of('post')).toBe(3);
      const cache = app.app.get(CacheService);
      expect(cache.stats().views['OpsController.page']).toMatchObject({
        hits: 0,
        misses: 3,
        hitRate: 0,
      });
    } finally {
      await app.close();
    }
  });
});
