import { Cluster, Redis } from 'ioredis';
import { StoreTimeoutError } from '../errors.js';
import { describeCause, describeRedis } from './store-diagnostics.js';

describe('describeRedis', () => {
  const clients: (Redis | Cluster)[] = [];
  afterAll(() => clients.forEach(client => client.disconnect()));
  /** A client that never connects, as the cache would build it from these options. */
  function named(client: Redis | Cluster): string {
    clients.push(client);
    return describeRedis(client);
  }

  it('names a server by its URL, the password masked', () => {
    const options = { lazyConnect: true };
    expect(named(new Redis('redis://:secret@10.0.0.5:6379/2', options))).toBe(
      'redis://:****@10.0.0.5:6379/2',
    );
    expect(named(new Redis('rediss://bob:secret@cache.internal:6380', options))).toBe(
      'rediss://bob:****@cache.internal:6380',
    );
    expect(named(new Redis('redis://h:6379', options))).toBe('redis://h:6379');
  });

  it('names a server given as options', () => {
    expect(
      named(
        new Redis({ host: '10.0.0.5', port: 6380, password: 'secret', db: 3, lazyConnect: true }),
      ),
    ).toBe('redis://:****@10.0.0.5:6380/3');
    expect(named(new Redis({ path: '/run/redis.sock', lazyConnect: true }))).toBe(
      'redis+unix:///run/redis.sock',
    );
  });

  it('names a Cluster by its startup nodes', () => {
    const cluster = new Cluster(['10.0.0.1:7000', 7001, { host: 'h', port: 7002 }], {
      lazyConnect: true,
    });
    expect(named(cluster)).toBe('Redis Cluster 10.0.0.1:7000,127.0.0.1:7001,h:7002');
  });
});

describe('describeCause', () => {
  it('says what failed in a few words', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
    });
    expect(describeCause(refused)).toBe('connect ECONNREFUSED 127.0.0.1:6379');
    expect(describeCause(new Error('NOAUTH Authentication required.'))).toBe(
      'authentication failed: NOAUTH Authentication required.',
    );
    expect(describeCause(new StoreTimeoutError(200))).toBe(
      'timeout: Cache store call timed out after 200 ms',
    );
    expect(
      describeCause(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })),
    ).toBe('timeout: connect ETIMEDOUT');
  });
});
