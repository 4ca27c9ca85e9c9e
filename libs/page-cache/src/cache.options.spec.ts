import { resolveCacheOptions } from './cache.options.js';
import { cacheErrorCode } from './errors.js';
import type {
  CacheModuleOptions,
  PageCacheOptions,
} from './interfaces/cache-module-options.interface.js';
import type { EdgeCacheOptions } from './interfaces/edge-options.interface.js';
import type { MemoryStoreOptions } from './stores/memory.store.js';
import type { Ttl } from './ttl.js';

/**
 * Options with every name the public types have, nested objects included: the compiler refuses
 * this type's value when a name is added to them and not here.
 */
type EveryOption = Required<CacheModuleOptions> & {
  memory: Required<MemoryStoreOptions>;
  breaker: { failures: number; cooldown: Ttl };
  pages: Required<PageCacheOptions> & {
    fillLock: { ttl: Ttl; wait: Ttl };
    edge: Required<EdgeCacheOptions>;
  };
};

describe('resolveCacheOptions', () => {
  it("refuses a keyPrefix with ':', which could share keys with another namespace", () => {
    expect(() => resolveCacheOptions({ keyPrefix: 'a:1', store: 'none' })).toThrow(
      /keyPrefix: "a:1" contains ":"/,
    );
    expect(resolveCacheOptions({ keyPrefix: 'a-1.b_c', store: 'none' }).namespace).toBe(
      'a-1.b_c:1',
    );
  });

  it('validates pages.hosts and pages.unkeyedInputs, naming the value', () => {
    expect(() => resolveCacheOptions({ store: 'none', pages: { hosts: ['a b'] } })).toThrow(
      /pages\.hosts entry: "a b"/,
    );
    expect(() =>
      resolveCacheOptions({ store: 'none', pages: { unkeyedInputs: 'loud' as 'warn' } }),
    ).toThrow(/pages\.unkeyedInputs: "loud"/);
    expect(
      resolveCacheOptions({ store: 'none', pages: { hosts: ['x.test'] } }).pages.hosts!('x.test'),
    ).toBe(true);
  });

  it('reads pages.vary as header names, lower-case, naming a value that is none', () => {
    const vary = (value: unknown) =>
      resolveCacheOptions({ store: 'none', pages: { vary: value as string[] } }).pages.vary;
    expect(vary(['Origin', 'origin', 'X-Tenant'])).toEqual(['origin', 'x-tenant']);
    expect(vary(undefined)).toEqual([]);
    expect(() => vary('origin')).toThrow(/pages\.vary: "origin"\. Expected an array/);
    expect(() => vary(['a b'])).toThrow(/pages\.vary entry: "a b"/);
    expect(() => vary(['*'])).toThrow(/pages\.vary entry: "\*"/);
    expect(() => vary([3])).toThrow(/pages\.vary entry: 3/);
  });

  it("defaults the unkeyed-input detector to 'warn', and 'off' in production", () => {
    const before = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'development';
      expect(resolveCacheOptions({ store: 'none' }).pages.unkeyedInputs).toBe('warn');
      process.env.NODE_ENV = 'production';
      expect(resolveCacheOptions({ store: 'none' }).pages.unkeyedInputs).toBe('off');
    } finally {
      process.env.NODE_ENV = before;
    }
  });

  it('takes commandTimeout as milliseconds or a duration, and refuses 0', () => {
    expect(resolveCacheOptions({ store: 'none' }).commandTimeoutMs).toBe(200);
    expect(resolveCacheOptions({ store: 'none', commandTimeout: 500 }).commandTimeoutMs).toBe(500);
    expect(resolveCacheOptions({ store: 'none', commandTimeout: '1s' }).commandTimeoutMs).toBe(
      1000,
    );
    expect(() => resolveCacheOptions({ store: 'none', commandTimeout: 0 })).toThrow(
      /commandTimeout: 0/,
    );
  });

  it('near: needs redis, takes a lease >= 100ms and maxBytes > 0', () => {
    expect(resolveCacheOptions({ store: 'none' }).near).toBe(false);
    const redis = 'redis://127.0.0.1:6379';
    expect(resolveCacheOptions({ redis, near: true }).near).toEqual({
      maxBytes: 64 * 1024 * 1024,
      leaseMs: 2000,
    });
    expect(resolveCacheOptions({ redis, near: { lease: '1s', maxBytes: 10 } }).near).toEqual({
      maxBytes: 10,
      leaseMs: 1000,
    });
    expect(() => resolveCacheOptions({ near: true })).toThrow(/option near: it needs redis/);
    expect(() => resolveCacheOptions({ store: 'memory', near: true })).toThrow(
      /near: it needs redis.*store is 'memory'/,
    );
    expect(() => resolveCacheOptions({ redis, near: { lease: 50 } })).toThrow(/near\.lease/);
    expect(() => resolveCacheOptions({ redis, near: { maxBytes: 0 } })).toThrow(/near\.maxBytes/);
    expect(() => resolveCacheOptions({ redis, near: { leas: '1s' } as never })).toThrow(
      /did you mean 'near\.lease'/,
    );
  });

  it('telemetry: on by default, off with false, keys only when opted in', () => {
    const store = 'none' as const;
    expect(resolveCacheOptions({ store }).telemetry).toEqual({ keys: false });
    expect(resolveCacheOptions({ store, telemetry: true }).telemetry).toEqual({ keys: false });
    expect(resolveCacheOptions({ store, telemetry: false }).telemetry).toBe(false);
    expect(resolveCacheOptions({ store, telemetry: {} }).telemetry).toEqual({ keys: false });
    expect(resolveCacheOptions({ store, telemetry: { keys: true } }).telemetry).toEqual({
      keys: true,
    });
    expect(() => resolveCacheOptions({ store, telemetry: 'on' as never })).toThrow(
      /option telemetry: "on". Expected true, false or \{ keys\?: boolean \}/,
    );
    expect(() => resolveCacheOptions({ store, telemetry: { keys: 1 } as never })).toThrow(
      /option telemetry/,
    );
    expect(() => resolveCacheOptions({ store, telemetry: { key: true } as never })).toThrow(
      /did you mean 'telemetry\.keys'/,
    );
  });

  describe('names', () => {
    const every: EveryOption = {
      redis: 'redis://127.0.0.1:6379',
      store: 'memory',
      memory: { maxEntries: 10, maxBytes: 1024 },
      keyPrefix: 'p',
      version: 2,
      ttl: '1m',
      serializer: { serialize: value => JSON.stringify(value), deserialize: bytes => bytes },
      defaultModels: ['Settings'],
      user: request => (request.user as { id?: string } | undefined)?.id,
      maxEntrySize: 1000,
      compressAbove: 100,
      commandTimeout: '1s',
      breaker: { failures: 2, cooldown: '1s' },
      invalidationJournal: {
        record: async () => {},
        pending: async () => [],
        remove: async () => {},
      },
      generationTtl: '1d',
      pages: {
        global: true,
        ttl: '1m',
        grace: '1m',
        earlyRefresh: { beta: 1 },
        fillLock: { ttl: '5s', wait: '1s' },
        cacheControl: 'public, max-age=60',
        hosts: ['example.com'],
        vary: ['origin'],
        unkeyedInputs: 'bypass',
        early: false,
        reuseBodies: 0,
        edge: { header: 'xkey', purge: async () => {} },
      },
      statistics: false,
      indexCleanupInterval: '2h',
      near: { maxBytes: 1024, lease: '1s' },
      telemetry: { keys: true },
    };

    it('takes every name of the public option types, at every depth', () => {
      // redis and store together are refused by the value checks, after the names passed.
      expect(() => resolveCacheOptions(every)).toThrow(/either redis .* or store, not both/);
      const resolved = resolveCacheOptions({ ...every, redis: undefined, near: false });
      expect(resolved.pages.fillLock).toEqual({ ttlMs: 5000, waitMs: 1000 });
      expect(resolved.pages.edge?.header).toBe('xkey');
    });

    function refusal(options: object): Error {
      try {
        resolveCacheOptions(options as CacheModuleOptions);
      } catch (error) {
        return error as Error;
      }
      throw new Error('expected the options to be refused');
    }

    it('refuses unknown names at any depth, by their path, with the closest known name', () => {
      expect(refusal({ keyprefix: 'x' }).message).toBe(
        "Unknown CacheModule option 'keyprefix' (did you mean 'keyPrefix'?).",
      );
      expect(cacheErrorCode(refusal({ keyprefix: 'x' }))).toBe('E_UNKNOWN_OPTION');
      expect(refusal({ pages: { ttll: '5m' } }).message).toContain(
        "'pages.ttll' (did you mean 'pages.ttl'?)",
      );
      expect(refusal({ pages: { earlyRefresh: { bta: 1 } } }).message).toContain(
        "'pages.earlyRefresh.bta' (did you mean 'pages.earlyRefresh.beta'?)",
      );
      expect(refusal({ pages: { fillLock: { wiat: '1s' } } }).message).toContain(
        "did you mean 'pages.fillLock.wait'?",
      );
      expect(refusal({ pages: { edge: { headers: 'xkey' } } }).message).toContain(
        "did you mean 'pages.edge.header'?",
      );
      expect(refusal({ breaker: { failure: 1 } }).message).toContain(
        "did you mean 'breaker.failures'?",
      );
      expect(refusal({ memory: { maxByte: 1 } }).message).toContain(
        "did you mean 'memory.maxBytes'?",
      );
      expect(refusal({ near: { ttl: '1s' } }).message).toBe(
        "Unknown CacheModule option 'near.ttl' (near takes maxBytes, lease).",
      );
    });

    it("checks the names of redis: { cluster, options }, not ioredis's own options", () => {
      expect(refusal({ redis: { cluster: [7000], option: {} } }).message).toContain(
        "'redis.option' (did you mean 'redis.options'?)",
      );
      expect(
        resolveCacheOptions({ redis: { host: '127.0.0.1', lazyConnect: true } }).store.kind,
      ).toBe('redis');
    });

    it('says that isGlobal and name, returned by a forRootAsync factory, go beside useFactory', () => {
      expect(refusal({ isGlobal: true }).message).toBe(
        "Unknown CacheModule option 'isGlobal' (give it to CacheModule.forRootAsync() itself, beside useFactory).",
      );
    });

    it('suggests the module extras for a misspelt one (forRoot takes them)', () => {
      expect(refusal({ intercepter: class {} }).message).toBe(
        "Unknown CacheModule option 'intercepter' (did you mean 'interceptor'?).",
      );
      expect(refusal({ isGlobl: true }).message).toContain("(did you mean 'isGlobal'?)");
    });
  });
});
