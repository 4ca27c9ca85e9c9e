import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheService } from 'nestjs-page-cache';
import { fetchPage, json, untilHit } from '../support/fetch-page.js';
import { Post, RestartData, restartModule } from '../fixtures/freshness/restart.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from '../support/http-app.js';
import { RedisServer } from '../support/redis-server.js';

/**
 * A Redis restarted from its snapshot holds what it held when the snapshot was taken: a page and
 * the generation token it was current under, both older than an invalidation that had returned
 * before the restart. Nothing it brings back may be served.
 */
describe.each(ADAPTERS)('a Redis restarted from its snapshot, on %s', adapter => {
  let dir: string;
  let server: RedisServer;
  let app: RunningApp | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-rdb-'));
    // Snapshots only when told (SAVE), into a directory that outlives the process.
    server = await RedisServer.start({ args: ['--dir', dir, '--dbfilename', 'dump.rdb'] });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** Restarts Redis from the snapshot, and waits until the app's client is connected again. */
  async function restartFromSnapshot(): Promise<void> {
    await server.kill(); // SIGKILL: nothing written after the SAVE reaches the disk
    await server.restart();
    expect(await server.command('DBSIZE')).not.toBe('0'); // the snapshot was loaded
  }

  it('never serves a page its model invalidated before the restart', async () => {
    const running = (app = await startApp(adapter, restartModule(server.url)));
    const data = running.app.get(RestartData);
    const cache = running.app.get(CacheService);
    await fetchPage(running, '/posts');
    expect(json(await untilHit(running, '/posts'))).toEqual({ title: 'first title' });

    await server.command('SAVE'); // the snapshot: the first page and its token
    data.title = 'second title';
    await cache.invalidate(Post);
    expect(json(await fetchPage(running, '/posts'))).toEqual({ title: 'second title' });
    expect(json(await untilHit(running, '/posts'))).toEqual({ title: 'second title' });

    await restartFromSnapshot();
    // Every answer from now on is the current title, from the handler or from the cache.
    for (let i = 0; i < 40; i++) {
      const page = await fetchPage(running, '/posts');
      expect(page.status).toBe(200);
      expect(json(page)).toEqual({ title: 'second title' });
    }
    expect(json(await untilHit(running, '/posts'))).toEqual({ title: 'second title' });
  });

  it('never serves a page expirePage() removed before the restart', async () => {
    const running = (app = await startApp(adapter, restartModule(server.url)));
    const data = running.app.get(RestartData);
    const cache = running.app.get(CacheService);
    await fetchPage(running, '/notice');
    await untilHit(running, '/notice');

    await server.command('SAVE');
    data.notice = 'second notice';
    expect(await cache.expirePage('/notice')).toBe(1);
    expect(json(await fetchPage(running, '/notice'))).toEqual({ notice: 'second notice' });

    await restartFromSnapshot();
    for (let i = 0; i < 40; i++) {
      expect(json(await fetchPage(running, '/notice'))).toEqual({ notice: 'second notice' });
    }
    expect(json(await untilHit(running, '/notice'))).toEqual({ notice: 'second notice' });
  });

  it('keeps serving its pages after a reconnection to the same server', async () => {
    const running = (app = await startApp(adapter, restartModule(server.url)));
    await fetchPage(running, '/posts');
    const before = await untilHit(running, '/posts');
    // Drop the app's connections; the server (and its run_id) stays the same.
    await server.command('CLIENT', 'KILL', 'TYPE', 'normal');
    const after = await untilHit(running, '/posts');
    expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
  });
});
