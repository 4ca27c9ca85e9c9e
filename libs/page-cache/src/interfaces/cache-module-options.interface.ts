import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { CacheStore } from '../stores/cache-store.interface.js';
import type { MemoryStoreOptions } from '../stores/memory.store.js';
import type { Ttl } from '../ttl.js';
import type { InvalidationJournal } from '../invalidation/invalidation-journal.js';
import type { PageRequest } from './page-options.interface.js';
import type { EdgeCacheOptions } from './edge-options.interface.js';

import type { ModelRef } from './model-ref.interface.js';

/** Turns values into bytes and back; the default is JSON (and Buffers as they are). */
export interface CacheSerializer {
  serialize(value: unknown): Buffer | string;
  deserialize(bytes: Buffer): unknown;
}

/**
 * A Redis Cluster for the cache to connect to (the `redis` option):
 * `{ cluster: ['10.0.0.1:6379', '10.0.0.2:6379'], options: { redisOptions: { password } } }`.
 */
export interface RedisClusterConfig {
  /**
   * Startup nodes (`'host:port'`, a port, or `{ host, port }`). One reachable node is enough to
   * discover the others; list several so that startup survives one being down.
   */
  cluster: ClusterNode[];
  /**
   * ioredis `ClusterOptions`, applied over the cache's fail-fast defaults (no offline queue,
   * auto-pipelining, a command timeout per node, reconnection in the background); `redisOptions`
   * is merged the same way.
   */
  options?: ClusterOptions;
}

/** Options of `CacheModule.forRoot()` / `forRootAsync()`. */
export interface CacheModuleOptions {
  /**
   * Redis to use: a URL (`redis://host:6379/0`), ioredis `RedisOptions`, a Cluster
   * (`{ cluster: nodes, options? }`, see {@link RedisClusterConfig}), or an ioredis `Redis` /
   * `Cluster` instance. A client created from a URL or options is closed on shutdown; an instance
   * you pass is borrowed and never closed by the cache.
   */
  redis?: string | RedisOptions | RedisClusterConfig | Redis | Cluster;
  /**
   * `'memory'` for the per-process store, `'none'` for a dummy store that caches nothing (the
   * whole API works), or your own {@link CacheStore}. Without `redis` and `store` the memory store
   * is used and a warning says it is not shared between processes.
   */
  store?: 'memory' | 'none' | CacheStore;
  /** Bounds of the memory store. */
  memory?: MemoryStoreOptions;
  /** First part of every key. Default `'cache'`. */
  keyPrefix?: string;
  /** Second part of every key; bump it to make every older entry unreachable. Default `1`. */
  version?: number;
  /** Default lifetime of entries: ms or `'30s'`/`'5m'`/`'1h'`/`'1d'`; `0` = never. Default `'5m'`. */
  ttl?: Ttl;
  /** How values are encoded. Default: JSON, with Buffers stored byte for byte. */
  serializer?: CacheSerializer;
  /** Models every cached page is built from (e.g. site settings): saving one clears every page. */
  defaultModels?: readonly ModelRef[];
  /**
   * The principal a page varies on with `@VaryOn({ user: true })`. Default: `request.user.id`.
   * Return `undefined` for anonymous requests.
   */
  user?: (request: PageRequest) => string | number | undefined | null;
  /** Largest response body stored, in bytes. Default 1 MB. */
  maxEntrySize?: number;
  /** Compress stored bodies and values larger than this many bytes (zlib). Default: never. */
  compressAbove?: number;
  /**
   * Command timeout of Redis clients the cache creates (ms or `'200ms'`, `'1s'`…; > 0). Every
   * cache operation is bounded by it, so a hung Redis delays a request by at most about this long.
   * Default `'200ms'`.
   */
  commandTimeout?: Ttl;
  /**
   * Circuit breaker: after `failures` consecutive store failures the cache stops calling the store
   * for `cooldown`, then probes it again. Defaults `{ failures: 3, cooldown: '2s' }`.
   */
  breaker?: { failures?: number; cooldown?: Ttl };
  /**
   * Where invalidations of events you emit by hand are recorded before they are tried, so that one
   * asked for by a process that dies before the store answers is still delivered, by any process
   * (at startup and every second): `new DirectoryInvalidationJournal(dir)` on a persistent volume,
   * or your own `InvalidationJournal` (a table). Default: none (in-memory retry only). The TypeORM
   * integration has its own transactional outbox.
   */
  invalidationJournal?: InvalidationJournal;
  /**
   * Lifetime of the generation tokens that invalidation replaces (one small key per model and per
   * entity invalidated or cached). A missing token outdates every entry built under it, so they
   * expire safely: an entry older than its token's lifetime becomes a miss once. `0` = forever.
   * Default `'7d'`.
   */
  generationTtl?: Ttl;
  /** Page cache settings. */
  pages?: PageCacheOptions;
  /** Keep hit/miss counters and emit cache events (`CacheService.stats()`). Default `true`. */
  statistics?: boolean;
  /**
   * How often the dependency index is pruned of entries that no longer exist (ms or `'1h'`…;
   * `0` = never). Only never-expiring entries need it. Default `'1h'`.
   */
  indexCleanupInterval?: Ttl;
  /**
   * Keep near copies of pages and values in this process's memory (needs `redis`): a read whose
   * keys are all held sends nothing to Redis. Invalidations stay exact: each waits until every
   * process holding copies dropped them, or its lease (`lease`, default `'2s'`) ran out. `maxBytes`
   * bounds the copies (LRU, default 64 MiB). Default off. See docs/near-cache.md.
   */
  near?: boolean | { maxBytes?: number; lease?: Ttl };
  /**
   * OpenTelemetry traces and metrics, through `@opentelemetry/api` (an optional peer dependency):
   * on while the app has registered a tracer or meter provider (the SDK), costing nothing while it
   * has not. Attributes never hold cache keys, URLs or entity ids unless `keys: true`. `false`
   * turns it off. Default on. See docs/opentelemetry.md.
   */
  telemetry?: boolean | { keys?: boolean };
}

/** Settings of the page cache. */
export interface PageCacheOptions {
  /** Cache every GET handler of the app (Django's cache middleware); `@NoCache()` opts out. */
  global?: boolean;
  /** Default lifetime of pages. Default: the module's `ttl`. */
  ttl?: Ttl;
  /**
   * Keep pages this long past their TTL: the first request that finds an expired page within grace
   * renders it again through the whole pipeline, while the requests arriving meanwhile get the
   * stored page at once (`X-Cache: STALE`); a refresh that fails answers with the stale page, which
   * keeps being served until grace ends. Default `0`.
   */
  grace?: Ttl;
  /**
   * Refresh pages before they expire, with a probability that rises as expiry nears and with their
   * render time (XFetch; `beta` 1 is the paper's default, higher refreshes earlier). Default off.
   */
  earlyRefresh?: { beta: number };
  /**
   * Stampede protection across processes: the first process to miss a page takes this lock
   * (SET NX PX) and renders; the others wait up to `wait` for the entry, then render themselves.
   * `wait` also bounds how long a request waits for another request of its own process.
   * `false` turns it off (requests of one process still share one render). Defaults
   * `{ ttl: '10s', wait: '1s' }`.
   */
  fillLock?: { ttl?: Ttl; wait?: Ttl } | false;
  /**
   * `Cache-Control` sent with cacheable pages (misses and hits). None by default: pages are
   * invalidated on the server, and a browser copy would not be. A personalised page (one that
   * varies on the user, a cookie, `Authorization` or a function) gets it with `public`,
   * `s-maxage` and `proxy-revalidate` replaced by `private`, so no shared cache keeps one user's
   * page for another.
   */
  cacheControl?: string;
  /**
   * Hosts pages are cached for (Django's `ALLOWED_HOSTS`): names (`'example.com'`, `'.example.com'`
   * for it and its subdomains, `'localhost:3000'` with a port, `'*'`) or RegExps (tested against
   * `name` or `name:port`), matched against the `Host` header and the host the framework reports
   * (`X-Forwarded-Host` when a proxy is trusted). A name without a port matches only the default
   * port (the protocol's, or the server's own): any other port is another host. A request for any
   * other host bypasses the cache and creates no entry. Default: every host (each host value gets
   * entries of its own).
   */
  hosts?: readonly (string | RegExp)[];
  /**
   * The unkeyed-input detector: while a page renders on a miss, the request headers, cookies and
   * query parameters the handler reads are recorded, and one that is not part of the page's key
   * is reported once per view (`'warn'`) or keeps the page out of the cache (`'bypass'`).
   * Default: `'warn'`, and `'off'` when `NODE_ENV` is `production`.
   */
  unkeyedInputs?: UnkeyedInputsMode;
  /**
   * Request headers every cached page varies on, as if each route had `@VaryOn(...)` them
   * (case-insensitive; also listed in each response's `Vary`): each value is an entry of its own
   * from a route's first request. For headers the app itself varies on everywhere, such as
   * `['origin']` with CORS for a list of origins. A route whose response names in `Vary` a header
   * its key does not hold learns it on its own, in each process (see docs/pages.md). Default: none.
   */
  vary?: readonly string[];
  /**
   * The early hit path: hits answered before Nest's router, guards, pipes and interceptors, for
   * routes where nobody could tell the difference (no guards, no global interceptor ahead of the
   * page cache). `true` also serves routes that global interceptors run before the page cache for
   * (they then no longer see hits); `false` turns the early path off. Default: on where safe.
   */
  early?: boolean;
  /**
   * Bytes of page bodies this process keeps to reuse on hits (Redis stores only). A hit then reads
   * from Redis only the entry's header (`GETRANGE`, a few hundred bytes) with the generation
   * tokens, and writes the body it already holds when that header is byte for byte the one it
   * read the body with — the header holds the body's SHA-256 and the time it was stored, so a
   * replaced, removed or invalidated entry is never answered from here. Every hit still asks Redis.
   * `0` reads whole entries on every hit. Default: 32 MiB.
   */
  reuseBodies?: number;
  /**
   * An edge cache (CDN, Varnish) in front of the app: pages an edge may keep for everyone carry
   * their tags in `header`, every other cached page gets `Cache-Control: private`, and every
   * invalidation calls `purge` with the tags it cleared, once Redis is done (retried in the
   * background when it fails). Default: none.
   */
  edge?: EdgeCacheOptions;
}

/** Options of `forRoot`/`forRootAsync` that shape the module itself. */
export interface CacheModuleExtras {
  /** Make `CacheService` injectable everywhere without importing the module. */
  isGlobal?: boolean;
  /**
   * Registers a named cache beside the default one, with its own store and options: inject it with
   * `@InjectCache('sessions')`, and cache pages in it with `@CachePage({ cache: 'sessions' })`.
   */
  name?: string;
  /**
   * The page interceptor to install: a subclass of `PageCacheInterceptor` overriding its
   * `protected` extension points (`locate`, `rejectResponse`, `onHit`, `onMiss`, `onBypass`).
   * Default: `PageCacheInterceptor`.
   */
  interceptor?: abstract new (...args: never[]) => object;
}

/** What the unkeyed-input detector does: report, refuse to store, or nothing. */
export type UnkeyedInputsMode = 'warn' | 'bypass' | 'off';
