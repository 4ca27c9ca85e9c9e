import { setTimeout as sleep } from 'node:timers/promises';
import { CacheService } from 'nestjs-page-cache';
import { keySlot } from '../../libs/page-cache/src/stores/cluster-slots.js';
import { Backend, ResilienceModule } from '../fixtures/resilience/resilience.fixture.js';
import { fetchPage, type Page } from '../support/fetch-page.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { RedisCluster } from '../support/redis-cluster.js';

describe('failover of a Redis Cluster master under traffic', () => {
  let cluster: RedisCluster;
  let backend: Backend;
  let app: RunningApp;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
  });
  afterAll(() => cluster.stop());
  beforeEach(async () => {
    backend = new Backend();
    app = await startApp(
      'express',
      ResilienceModule.with(backend, {
        redis: { cluster: cluster.nodes },
        keyPrefix: 'failover',
        breaker: { failures: 3, cooldown: 300 },
      }),
    );
  });
  afterEach(() => app.close());

  const expected = () =>
    JSON.stringify({
      version: backend.version,
      rows: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `row ${i}` })),
    });

  it('SIGKILL the master of a cached page: every request answers, and caching resumes after the replica is promoted', async () => {
    await fetchPage(app, '/page');
    expect((await fetchPage(app, '/page')).cache).toBe('HIT');
    const cache = app.app.get(CacheService);
    const keys: string[] = [];
    for await (const key of cache.keys('page:*')) keys.push(key);
    expect(keys).toHaveLength(1);
    const slot = keySlot(`${cache.namespace}:${keys[0]}`);
    const master = await cluster.masterOf(slot);

    let stop = false;
    const answers: Page[] = [];
    const traffic = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) answers.push(await fetchPage(app, '/page'));
      }),
    );
    try {
      await sleep(100);
      const runsBefore = backend.runs;
      await master.kill();
      const killedAt = Date.now();
      // A replica takes over.
      await vi.waitFor(
        async () =>
          expect([master, undefined]).not.toContain(
            await cluster.masterOf(slot).catch(() => undefined),
          ),
        { timeout: 20_000, interval: 50 },
      );
      const promotedAfter = Date.now() - killedAt;
      // Caching resumes.
      await vi.waitFor(
        () => expect(answers.slice(-6).map(answer => answer.cache)).toContain('HIT'),
        { timeout: 20_000, interval: 50 },
      );
      // While the slot had no master, the handler answered.
      expect(backend.runs).toBeGreaterThan(runsBefore);
      expect(promotedAfter).toBeGreaterThan(0);
    } finally {
      stop = true;
      await traffic;
    }
    expect(answers.length).toBeGreaterThan(50);
    const wrong = answers.filter(answer => answer.status !== 200 || answer.text !== expected());
    expect(wrong).toEqual([]);
    expect((await fetchPage(app, '/page')).cache).toBe('HIT');
  });
});
