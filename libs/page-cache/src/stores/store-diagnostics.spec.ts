import { Redis } from 'ioredis';
import { StoreTimeoutError } from '../errors.js';
import { describeCause, describeRedis, redactRedisUrl } from './store-diagnostics.js';

describe('describeRedis', () => {
  it('names a server by its URL, the password masked', () => {
    expect(describeRedis('redis://:secret@10.0.0.5:6379/2')).toBe('redis://:****@10.0.0.5:6379/2');
    expect(describeRedis('rediss://bob:secret@cache.internal:6380')).toBe(
      'rediss://bob:****@cache.internal:6380',
    );
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
  });

  it('names a server given as options, or as a client', () => {
    expect(describeRedis({ host: '10.0.0.5', port: 6380, password: 'secret', db: 3 })).toBe(
      'redis://:****@10.0.0.5:6380/3',
    );
    expect(describeRedis({ path: '/run/redis.sock' })).toBe('redis+unix:///run/redis.sock');
    const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, password: 'pw' });
    expect(describeRedis(client)).toBe('redis://:****@127.0.0.1:1');
  });

  it('names a Cluster by its startup nodes', () => {
    expect(describeRedis({ cluster: ['10.0.0.1:7000', 7001, { host: 'h', port: 7002 }] })).toBe(
      'Redis Cluster 10.0.0.1:7000,127.0.0.1:7001,h:7002',
    );
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
