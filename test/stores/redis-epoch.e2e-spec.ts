import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheService } from 'nestjs-page-cache';
import { EPOCH_CHECK_MS } from '../../libs/page-cache/src/stores/redis-epoch.js';
import { fetchPage, json, untilHit } from '../support/fetch-page.js';
import { Post, RestartData, restartModule } from '../fixtures/freshness/restart.fixture.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { RedisServer } from '../support/redis-server.js';

/**
 * The data of the server the client talks to goes back in time, but its run_id (and so the
 * epoch) stays the same and the connection is not closed.
 */
describe('a Redis whose data goes back in time without a new run_id', () => {
  let dir: string;
  let servers: RedisServer[] = [];
  let app: RunningApp | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-epoch-'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    for (const s of servers) await s.kill();
    servers = [];
    await rm(dir, { recursive: true, force: true });
  });

  it('old master demoted (REPLICAOF) to a promoted replica that missed the invalidation', async () => {
    const a = await RedisServer.start({ args: ['--save', '', '--appendonly', 'no'] });
    const b = await RedisServer.start({ args: ['--save', '', '--appendonly', 'no'] });
    servers.push(a, b);
    const running = (app = await startApp('express', restartModule(a.url)));
    const data = running.app.get(RestartData);
    const cache = running.app.get(CacheService);

    await fetchPage(running, '/posts');
    expect(json(await untilHit(running, '/posts'))).toEqual({ title: 'first title' });

    // B replicates A, then is promoted before it receives the invalidation (asynchronous
    // replication lag at failover time).
    await b.command('REPLICAOF', '127.0.0.1', String(a.port));
    await vi.waitFor(
      async () => {
        expect(await b.command('INFO', 'replication')).toMatch(/master_link_status:up/);
      },
      { timeout: 10_000 },
    );
    await vi.waitFor(async () => {
      expect(await b.command('DBSIZE')).toBe(await a.command('DBSIZE'));
    });
    await b.command('REPLICAOF', 'NO', 'ONE');

    data.title = 'second title';
    await cache.invalidate(Post);
    expect(json(await fetchPage(running, '/posts'))).toEqual({ title: 'second title' });
    expect(json(await untilHit(running, '/posts'))).toEqual({ title: 'second title' });

    const runIdBefore = /run_id:(\w+)/.exec(await a.command('INFO', 'server'))![1];
    // Manual switchover: the old master follows the new one (full resync: A now holds B's data).
    await a.command('REPLICAOF', '127.0.0.1', String(b.port));
    await vi.waitFor(
      async () => {
        expect(await a.command('INFO', 'replication')).toMatch(/master_link_status:up/);
      },
      { timeout: 10_000 },
    );
    const runIdAfter = /run_id:(\w+)/.exec(await a.command('INFO', 'server'))![1];
    expect(runIdAfter).toBe(runIdBefore);

    // No connection closes: the epoch is asked again every EPOCH_CHECK_MS (the documented window).
    await new Promise(r => setTimeout(r, 2 * EPOCH_CHECK_MS));
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const page = await fetchPage(running, '/posts');
      seen.push(`${page.cache}:${(json(page) as { title: string }).title}`);
      await new Promise(r => setTimeout(r, 50));
    }
    // The invalidation returned before the switchover: only the second title may be answered.
    expect(seen.filter(s => s.endsWith('first title'))).toEqual([]);
  });
});
