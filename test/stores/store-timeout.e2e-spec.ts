import { Redis } from 'ioredis';
import { RedisStore } from '../../libs/page-cache/src/stores/redis.store.js';
import {
  ResilientStore,
  StoreTimeoutError,
} from '../../libs/page-cache/src/stores/resilient.store.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

/** Keeps the event loop busy, as a long render or a GC pause would. */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('store call timeout', () => {
  it('does not fail a reply that arrived while the event loop was blocked past the timeout', async () => {
    const client = new Redis(redisUrl());
    const store = new ResilientStore(new RedisStore(client), {
      failures: 3,
      cooldownMs: 1000,
      timeoutMs: 50,
    });
    const key = `${uniquePrefix('lag')}:k`;
    try {
      await store.set(key, Buffer.from('v'), 10_000);
      const reads = Array.from({ length: 5 }, () => store.get(key));
      block(200);
      const values = await Promise.all(reads);
      expect(values.map(v => v?.toString())).toEqual(['v', 'v', 'v', 'v', 'v']);
      expect(store.state).toBe('closed');
    } finally {
      await client.quit();
    }
  });

  it('fails a call to a hung Redis after the timeout', async () => {
    const server = await RedisServer.start();
    const client = new Redis(server.url, { commandTimeout: 10_000 });
    const store = new ResilientStore(new RedisStore(client), {
      failures: 3,
      cooldownMs: 1000,
      timeoutMs: 100,
    });
    try {
      await store.ping();
      await server.pause();
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreTimeoutError);
    } finally {
      await server.resume();
      client.disconnect();
      await server.stop();
    }
  });
});
