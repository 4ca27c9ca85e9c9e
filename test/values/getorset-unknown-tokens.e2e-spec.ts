import { setTimeout as sleep } from 'node:timers/promises';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService } from 'nestjs-page-cache';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/redis.js';

/**
 * A fill that began while the store could not be read has no tokens to be checked by. If the
 * store comes back and an invalidation returns while that fill still runs, a caller that starts
 * after the invalidation returned must not be handed the value computed from the data before it.
 */
describe('getOrSet joining a fill begun while the store could not be read', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.kill());

  it('a caller that begins after invalidate() returned never gets the old value', async () => {
    const module = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          redis: server.url,
          keyPrefix: uniquePrefix('flight'),
          breaker: { cooldown: '100ms' },
        }),
      ],
    }).compile();
    await module.init();
    const cache = module.get(CacheService);
    try {
      let data = 'old';
      await server.kill();
      let release!: () => void;
      const gate = new Promise<void>(resolve => (release = resolve));
      const first = cache.getOrSet(
        'k',
        async () => {
          const read = data; // the factory reads its data now
          await gate;
          return read;
        },
        { ttl: '1h', models: ['Post'] },
      );
      await sleep(500);
      await server.restart();
      data = 'new';
      // The save's invalidation: retried until the store takes it, then it has returned.
      await vi.waitFor(() => cache.invalidate('Post'), { timeout: 15_000, interval: 100 });
      // Begins after the invalidation returned.
      const second = cache.getOrSet('k', async () => data, { ttl: '1h', models: ['Post'] });
      release();
      expect(await first).toBe('old'); // fine: it began before the save
      expect(await second).toBe('new');
    } finally {
      await module.close();
    }
  }, 30_000);
});
