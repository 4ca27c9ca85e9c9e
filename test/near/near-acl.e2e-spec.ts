import { CacheService } from 'nestjs-page-cache';
import { Redis } from 'ioredis';
import { nearModule } from '../fixtures/near/near.fixture.js';
import { startApp, type RunningApp } from '../support/http-app.js';
import { uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';
import { collectWarnings } from '../support/warnings.js';

describe('near cache on a Redis user refused PUBLISH', () => {
  let server: RedisServer;
  const apps: RunningApp[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~*', '&*', '+@all', '-publish');
    admin.disconnect();
  });
  afterAll(async () => {
    await Promise.all(apps.splice(0).map(app => app.close()));
    await server.kill();
  });

  it('a holder never proves its lease; writes elsewhere go on, said once', async () => {
    const url = `redis://app:secret@127.0.0.1:${server.port}`;
    const prefix = uniquePrefix('near_acl');
    let warnings: string[] = [];
    const holder = await startApp('express', nearModule(url, prefix, { lease: '200ms' }));
    apps.push(holder);
    const plain = await startApp('express', nearModule(url, prefix, false), nest => {
      warnings = collectWarnings(nest);
    });
    apps.push(plain);
    const cache = (app: RunningApp) => app.app.get(CacheService);
    // Its renewals register it (the script's first commands run) but their pings are refused.
    const admin = new Redis(server.url);
    try {
      await vi.waitFor(
        async () => expect(await admin.zcard(`{${prefix}:1}:near:holders`)).toBe(1),
        { timeout: 5_000 },
      );
    } finally {
      admin.disconnect();
    }
    await cache(plain).invalidate('Post');
    await cache(plain).invalidate('Post');
    expect(cache(holder).stats().near!.lease).toBe('lapsed');
    expect(
      warnings.filter(warning => warning.startsWith('Near cache announcements refused')),
    ).toEqual([expect.stringContaining("can't run this command")]);
  });
});
