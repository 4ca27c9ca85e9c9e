import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type {
  CacheModuleOptions,
  RedisClusterConfig,
  UnkeyedInputsMode,
} from './interfaces/cache-module-options.interface.js';
import { hasControlCharacter, namespaceOf } from './keys.js';
import type { CacheStore } from './stores/cache-store.interface.js';
import { modelName } from './models.js';
import { allowedHosts } from './pages/key/allowed-hosts.js';
import { HEADER_NAME } from './pages/vary-on.decorator.js';
import type { InvalidationJournal } from './invalidation/invalidation-journal.js';
import { resolveEdgeOptions } from './edge/edge-options.js';
import { parseTtl } from './ttl.js';
import { DEFAULT_LEASE_MS } from './near/near-announcer.js';
import { checkOptionNames, type OptionNames } from './option-names.js';

/** Options after validation, with defaults applied: what {@link resolveCacheOptions} returns. */
export type ResolvedCacheOptions = ReturnType<typeof resolveCacheOptions>;

/** Which store the options ask for. */
type ResolvedStore =
  | { kind: 'redis'; redis: string | RedisOptions | RedisClusterConfig | Redis | Cluster }
  | { kind: 'memory'; warn: boolean }
  | { kind: 'none' }
  | { kind: 'custom'; store: CacheStore };

/**
 * Every name `CacheModule.forRoot()` takes, and which objects are checked name by name: `redis`
 * (a URL, ioredis options or a client), `store`, `serializer`, `invalidationJournal`, callbacks
 * and lists are the app's own objects, open by design, and are not walked into.
 */
const CACHE_OPTION_NAMES: OptionNames<CacheModuleOptions> = {
  redis: true,
  store: true,
  memory: { maxEntries: true, maxBytes: true },
  keyPrefix: true,
  version: true,
  ttl: true,
  serializer: true,
  defaultModels: true,
  user: true,
  maxEntrySize: true,
  compressAbove: true,
  commandTimeout: true,
  breaker: { failures: true, cooldown: true },
  invalidationJournal: true,
  generationTtl: true,
  pages: {
    global: true,
    ttl: true,
    grace: true,
    earlyRefresh: { beta: true },
    fillLock: { ttl: true, wait: true },
    cacheControl: true,
    hosts: true,
    vary: true,
    unkeyedInputs: true,
    early: true,
    reuseBodies: true,
    edge: { header: true, purge: true },
  },
  statistics: true,
  indexCleanupInterval: true,
  near: { maxBytes: true, lease: true },
  telemetry: { keys: true },
};

/** `redis: { cluster, options }`: its own two names (its `options` are ioredis's, not walked). */
const CLUSTER_CONFIG_NAMES: OptionNames<RedisClusterConfig> = { cluster: true, options: true };

/** Names a `forRootAsync()` factory may return by mistake: they shape the module, not the cache. */
const MODULE_EXTRAS = {
  isGlobal: 'give it to CacheModule.forRootAsync() itself, beside useFactory',
  name: 'give it to CacheModule.forRootAsync() itself, beside useFactory',
  interceptor: 'give it to CacheModule.forRootAsync() itself, beside useFactory',
};

const STORE_METHODS = ['get', 'getMany', 'set', 'delete', 'scan', 'addToSets', 'members'] as const;

/**
 * Validates module options once, at startup (`forRoot()`'s, and what a `forRootAsync()` factory
 * resolves with): names it does not take, at any depth of {@link CACHE_OPTION_NAMES}, then values.
 * @throws TypeError that names the option and the accepted values (an `UnknownOptionError`,
 *   code `E_UNKNOWN_OPTION`, for unknown names).
 */
export function resolveCacheOptions(options: CacheModuleOptions = {}) {
  // First, so that a misspelt name is reported as such rather than as its missing value.
  checkOptionNames(options, CACHE_OPTION_NAMES, 'CacheModule', MODULE_EXTRAS);
  const keyPrefix = options.keyPrefix ?? 'cache';
  if (
    typeof keyPrefix !== 'string' ||
    keyPrefix.length === 0 ||
    /\s/.test(keyPrefix) ||
    hasControlCharacter(keyPrefix)
  ) {
    throw new TypeError(
      `Invalid CacheModule option keyPrefix: ${JSON.stringify(keyPrefix)}. Expected a non-empty string without spaces or control characters.`,
    );
  }
  if (keyPrefix.includes(':')) {
    // 'a:1' with version 2 would write into the keys of prefix 'a', version 1 ('a:1:…').
    throw new TypeError(
      `Invalid CacheModule option keyPrefix: ${JSON.stringify(keyPrefix)} contains ":", which separates the prefix from the version; such a prefix could share keys with another namespace. Use letters, digits, "_", "-" or ".".`,
    );
  }
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(
      `Invalid CacheModule option version: ${String(version)}. Expected an integer >= 0.`,
    );
  }
  const ttlMs = ttl(options.ttl, '5m', 'ttl');
  const serializer = options.serializer;
  if (
    serializer !== undefined &&
    (typeof serializer?.serialize !== 'function' || typeof serializer?.deserialize !== 'function')
  ) {
    throw new TypeError(
      'Invalid CacheModule option serializer: expected an object with serialize(value) and deserialize(bytes) functions.',
    );
  }
  const maxEntrySize = options.maxEntrySize ?? 1024 * 1024;
  if (!Number.isSafeInteger(maxEntrySize) || maxEntrySize <= 0) {
    throw new TypeError(
      `Invalid CacheModule option maxEntrySize: ${String(maxEntrySize)}. Expected a number of bytes > 0.`,
    );
  }
  if (options.user !== undefined && typeof options.user !== 'function') {
    throw new TypeError('Invalid CacheModule option user: expected a function (request) => id.');
  }
  if (options.defaultModels !== undefined && !Array.isArray(options.defaultModels)) {
    throw new TypeError(
      `Invalid CacheModule option defaultModels: ${String(options.defaultModels)}. Expected an array of model classes or names.`,
    );
  }
  const defaultModels = (options.defaultModels ?? []).map(model =>
    modelName(model, 'CacheModule option defaultModels entry'),
  );
  const pages = options.pages ?? {};
  const cacheControl = pages.cacheControl;
  if (
    cacheControl !== undefined &&
    (typeof cacheControl !== 'string' || hasControlCharacter(cacheControl))
  ) {
    throw new TypeError(
      `Invalid CacheModule option pages.cacheControl: ${JSON.stringify(cacheControl)}. Expected a header value such as 'public, max-age=60'.`,
    );
  }
  return {
    defaultModels,
    user: options.user,
    maxEntrySize,
    indexCleanupIntervalMs: ttl(options.indexCleanupInterval, '1h', 'indexCleanupInterval'),
    compressAbove: positiveInteger(options.compressAbove, 'compressAbove'),
    statistics: options.statistics !== false,
    generationTtlMs: ttl(options.generationTtl, '7d', 'generationTtl'),
    invalidationJournal: journal(options.invalidationJournal),
    commandTimeoutMs: positiveDuration(options.commandTimeout ?? '200ms', 'commandTimeout'),
    breaker: {
      failures: positiveInteger(options.breaker?.failures, 'breaker.failures') ?? 3,
      cooldownMs: ttl(options.breaker?.cooldown, '2s', 'breaker.cooldown'),
    },
    pages: {
      graceMs: ttl(pages.grace, 0, 'pages.grace'),
      earlyRefreshBeta: beta(pages.earlyRefresh),
      fillLock:
        pages.fillLock === false
          ? (false as const)
          : {
              ttlMs: ttl(pages.fillLock?.ttl, '10s', 'pages.fillLock.ttl'),
              waitMs: ttl(pages.fillLock?.wait, '1s', 'pages.fillLock.wait'),
            },
      global: pages.global === true,
      hosts: allowedHosts(pages.hosts),
      unkeyedInputs: unkeyedInputsMode(pages.unkeyedInputs),
      vary: varyHeaders(pages.vary),
      // undefined: where it is safe.
      early: optionalBoolean(pages.early, 'pages.early'),
      reuseBodies: byteCount(pages.reuseBodies, 32 * 1024 * 1024, 'pages.reuseBodies'),
      ttlMs: pages.ttl === undefined ? ttlMs : parseTtl(pages.ttl, 'CacheModule option pages.ttl'),
      cacheControl,
      edge: resolveEdgeOptions(pages.edge),
    },
    keyPrefix,
    version,
    namespace: namespaceOf(keyPrefix, version),
    ttlMs,
    serializer,
    store: resolveStore(options),
    near: nearSettings(options),
    telemetry: telemetrySettings(options.telemetry),
  };
}

/** `telemetry`: off, or on with or without keys in attributes. */
function telemetrySettings(telemetry: unknown): false | { keys: boolean } {
  if (telemetry === false) return false;
  if (telemetry === undefined || telemetry === true) return { keys: false };
  const keys = (telemetry as { keys?: unknown } | null)?.keys;
  if (
    typeof telemetry !== 'object' ||
    telemetry === null ||
    (keys !== undefined && typeof keys !== 'boolean')
  ) {
    throw new TypeError(
      `Invalid CacheModule option telemetry: ${JSON.stringify(telemetry) ?? String(telemetry)}. Expected true, false or { keys?: boolean }.`,
    );
  }
  return { keys: keys === true };
}

/** Default bound of near copies (bytes). */
const NEAR_MAX_BYTES = 64 * 1024 * 1024;

/** `near`: `false`, or its settings. It needs `redis`: copies are kept consistent through it. */
function nearSettings(options: CacheModuleOptions): false | { maxBytes: number; leaseMs: number } {
  const near = options.near;
  if (near === undefined || near === false) return false;
  if (near !== true && (typeof near !== 'object' || near === null)) {
    throw new TypeError(
      `Invalid CacheModule option near: ${JSON.stringify(near) ?? String(near)}. Expected true, false or { maxBytes?, lease? }.`,
    );
  }
  if (options.redis === undefined) {
    throw new TypeError(
      `Invalid CacheModule option near: it needs redis (near copies are kept consistent through Redis's registry and channels), ` +
        `but ${options.store === undefined ? 'no redis is given' : `store is ${typeof options.store === 'string' ? `'${options.store}'` : 'a custom store'}`}. ` +
        'Give redis, or remove near.',
    );
  }
  const settings = near === true ? {} : near;
  const leaseMs = ttl(settings.lease, DEFAULT_LEASE_MS, 'near.lease');
  if (leaseMs < 100) {
    throw new TypeError(
      `Invalid CacheModule option near.lease: ${String(settings.lease)}. Expected a duration of at least 100ms (renewed every third of it).`,
    );
  }
  const maxBytes = byteCount(settings.maxBytes, NEAR_MAX_BYTES, 'near.maxBytes');
  if (maxBytes === 0) {
    throw new TypeError(
      'Invalid CacheModule option near.maxBytes: 0. Expected a number of bytes > 0 (or near: false).',
    );
  }
  return { maxBytes, leaseMs };
}

function resolveStore(options: CacheModuleOptions): ResolvedStore {
  const { redis, store } = options;
  if (redis !== undefined && store !== undefined) {
    throw new TypeError(
      'Invalid CacheModule options: give either redis (a URL, RedisOptions or a client) or store, not both.',
    );
  }
  if (store !== undefined) {
    if (store === 'memory') return { kind: 'memory', warn: false };
    if (store === 'none') return { kind: 'none' };
    const missing = STORE_METHODS.filter(
      method => typeof (store as unknown as Record<string, unknown>)?.[method] !== 'function',
    );
    if (typeof store !== 'object' || store === null || missing.length > 0) {
      throw new TypeError(
        `Invalid CacheModule option store: ${typeof store === 'string' ? JSON.stringify(store) : 'an object'} ` +
          `${missing.length > 0 ? `lacking ${missing.join(', ')}` : ''}. Expected 'memory', 'none' or an object implementing CacheStore.`,
      );
    }
    return { kind: 'custom', store };
  }
  if (redis === undefined) return { kind: 'memory', warn: true };
  if (typeof redis === 'string') {
    if (!/^rediss?:\/\//.test(redis)) {
      throw new TypeError(
        `Invalid CacheModule option redis: ${JSON.stringify(redis)}. Expected a redis:// or rediss:// URL, RedisOptions, { cluster: nodes }, or an ioredis Redis/Cluster instance.`,
      );
    }
    return { kind: 'redis', redis };
  }
  if (redis instanceof Redis || redis instanceof Cluster) return { kind: 'redis', redis };
  if (typeof redis === 'object' && redis !== null && 'cluster' in redis) {
    checkOptionNames({ redis }, { redis: CLUSTER_CONFIG_NAMES }, 'CacheModule');
    const { cluster, options: clusterOptions } = redis;
    if (!Array.isArray(cluster) || cluster.length === 0) {
      throw new TypeError(
        `Invalid CacheModule option redis.cluster: ${String(cluster)}. Expected a non-empty array of startup nodes ('host:port', a port, or { host, port }).`,
      );
    }
    if (
      clusterOptions !== undefined &&
      (typeof clusterOptions !== 'object' || clusterOptions === null)
    ) {
      throw new TypeError(
        `Invalid CacheModule option redis.options: ${String(clusterOptions)}. Expected ioredis ClusterOptions.`,
      );
    }
    return { kind: 'redis', redis };
  }
  if (typeof redis === 'object' && redis !== null) return { kind: 'redis', redis };
  throw new TypeError(
    `Invalid CacheModule option redis: ${String(redis)}. Expected a redis:// URL, RedisOptions, { cluster: nodes }, or an ioredis Redis/Cluster instance.`,
  );
}

/** A lifetime option in ms, `fallback` when it is not given. */
function ttl(value: unknown, fallback: string | number, option: string): number {
  return parseTtl(value ?? fallback, `CacheModule option ${option}`);
}

function positiveInteger(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(
      `Invalid CacheModule option ${option}: ${String(value)}. Expected a whole number > 0.`,
    );
  }
  return value;
}

/** A `Ttl` that must not be 0 ("never" makes no sense for a timeout). */
function positiveDuration(value: unknown, option: string): number {
  const ms = parseTtl(value, `CacheModule option ${option}`);
  if (ms === 0) {
    throw new TypeError(`Invalid CacheModule option ${option}: 0. Expected a duration > 0.`);
  }
  return ms;
}

function journal(value: unknown): InvalidationJournal | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<InvalidationJournal> | null;
  if (
    typeof candidate?.record !== 'function' ||
    typeof candidate.pending !== 'function' ||
    typeof candidate.remove !== 'function'
  ) {
    throw new TypeError(
      'Invalid CacheModule option invalidationJournal: expected an object with record(entries), pending(limit) and remove(ids), such as new DirectoryInvalidationJournal(dir).',
    );
  }
  return candidate as InvalidationJournal;
}

function optionalBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(
    `Invalid CacheModule option ${option}: ${JSON.stringify(value)}. Expected true or false.`,
  );
}

function unkeyedInputsMode(mode: unknown): UnkeyedInputsMode {
  if (mode === undefined) return process.env.NODE_ENV === 'production' ? 'off' : 'warn';
  if (mode === 'warn' || mode === 'bypass' || mode === 'off') return mode;
  throw new TypeError(
    `Invalid CacheModule option pages.unkeyedInputs: ${JSON.stringify(mode)}. Expected 'warn', 'bypass' or 'off'.`,
  );
}

/** `pages.vary`: header names, lower-case, each once. */
function varyHeaders(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Invalid CacheModule option pages.vary: ${JSON.stringify(value) ?? String(value)}. Expected an array of request header names, such as ['origin'].`,
    );
  }
  const names = new Set<string>();
  for (const name of value as unknown[]) {
    // `*` names no header: a page that varies on everything is not cached (`@NoCache()`).
    if (typeof name !== 'string' || !HEADER_NAME.test(name) || name === '*') {
      throw new TypeError(
        `Invalid CacheModule option pages.vary entry: ${JSON.stringify(name) ?? String(name)}. Expected a request header name, such as 'origin'.`,
      );
    }
    names.add(name.toLowerCase());
  }
  return [...names];
}

function beta(earlyRefresh: { beta: number } | undefined): number {
  if (earlyRefresh === undefined) return 0;
  const value = earlyRefresh?.beta;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(
      `Invalid CacheModule option pages.earlyRefresh.beta: ${String(value)}. Expected a number >= 0 (1 is XFetch's default).`,
    );
  }
  return value;
}

/** A number of bytes >= 0, or the fallback when not given. */
function byteCount(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `Invalid CacheModule option ${name}: ${JSON.stringify(value) ?? String(value)}. Expected a number of bytes >= 0.`,
    );
  }
  return value;
}
