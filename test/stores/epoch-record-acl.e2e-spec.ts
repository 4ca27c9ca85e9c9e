import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { CacheModule, CacheService } from 'nestjs-page-cache';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/redis.js';

/**
 * The epochs are recorded under a key of their own (`nestjs-page-cache:~epochs`), which a Redis
 * user limited to the cache's own keys may not touch: the cache then works as before, without
 * the record, and says so once.
 */
describe('the epoch record refused by an ACL', () => {
  let server: RedisServer;
  let module: TestingModule | undefined;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await module?.close();
    await server.kill();
  });

  it('caches and invalidates as before, and warns once', async () => {
    const keyPrefix = uniquePrefix('acl_epochs');
    const admin = new Redis(server.url);
    await admin.call(
      'ACL',
      'SETUSER',
      'app',
      'on',
      '>secret',
      `~${keyPrefix}:*`,
      `~{${keyPrefix}:*`,
      '&*',
      '+@all',
    );
    admin.disconnect();
    const warn = vi.spyOn(Logger.prototype, 'warn');
    module = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          redis: `redis://app:secret@127.0.0.1:${server.port}`,
          keyPrefix,
          defaultModels: [],
        }),
      ],
    }).compile();
    await module.init();
    const cache = module.get(CacheService);

    let computed = 0;
    const read = () => cache.getOrSet('post', () => ++computed, { models: ['Post'] });
    expect(await read()).toBe(1);
    expect(await read()).toBe(1);
    await cache.invalidate('Post');
    await cache.invalidate('Post');
    expect(await read()).toBe(2);
    expect(
      warn.mock.calls.map(([message]) => String(message)).filter(m => m.includes('epoch record')),
    ).toEqual([expect.stringContaining('NOPERM')]);
  });
});
