import type { TestingModule } from '@nestjs/testing';
import { CacheStore, type CacheService } from 'nestjs-page-cache';
import type { NearStore } from '../../libs/page-cache/src/near/near.store.js';
import { bootCache } from '../support/cache-app.js';
import { redisClusterNodes, uniquePrefix } from '../support/redis.js';

describe('near cache on a Redis Cluster', () => {
  const modules: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(modules.splice(0).map(module => module.close()));
  });

  async function boot(keyPrefix: string, near: boolean): Promise<CacheService> {
    const { module, cache } = await bootCache('cluster', {
      keyPrefix,
      near: near && { lease: '2s' },
      defaultModels: [],
    });
    modules.push(module);
    if (near) {
      await vi.waitFor(() => expect(cache.stats().near?.lease).toBe('held'), { timeout: 5_000 });
    }
    return cache;
  }

  it('serves repeated reads near, and an invalidation from another process reaches it before it resolves', async () => {
    const keyPrefix = uniquePrefix('near_cluster');
    const a = await boot(keyPrefix, true);
    const b = await boot(keyPrefix, true);
    const plain = await boot(keyPrefix, false);
    let version = 1;
    const read = () => a.getOrSet('post', () => ({ version }), { models: ['Post'] });
    await read();
    await read();
    const hits = a.stats().near!.hits;
    expect(await read()).toEqual({ version: 1 });
    expect(a.stats().near!.hits).toBeGreaterThan(hits);

    // The holder hears the announcement and acknowledges on the announcer's node, whichever it is.
    const store = modules[0]!.get<symbol, NearStore>(CacheStore);
    const heard = vi.spyOn(store.holder!.copies, 'drop');
    version = 2;
    await b.invalidate('Post');
    expect(heard).toHaveBeenCalled();
    expect(b.stats().near!.invalidationWaits.count).toBeGreaterThan(0);
    expect(await read()).toEqual({ version: 2 });

    heard.mockClear();
    version = 3;
    await plain.invalidate('Post');
    expect(heard).toHaveBeenCalled();
    expect(await read()).toEqual({ version: 3 });
  });

  it('refuses near copies on a client that reads from replicas, at startup, naming the setting', async () => {
    await expect(
      bootCache('cluster', {
        keyPrefix: uniquePrefix('near_cluster'),
        redis: { cluster: redisClusterNodes(), options: { scaleReads: 'slave' } },
        near: true,
      }),
    ).rejects.toThrow(/scaleReads: "slave".*scaleReads: 'master', or remove near/);
  });
});
