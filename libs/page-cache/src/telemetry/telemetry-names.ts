/**
 * The names the cache's OpenTelemetry spans, attributes and metrics go by (docs/opentelemetry.md
 * lists them): span names of low cardinality, attribute and metric names under `page_cache.`, and
 * `http.route` / `url.path` as the semantic conventions name them.
 */

/** The instrumentation scope: the tracer's and the meter's name. */
export const INSTRUMENTATION_SCOPE = 'nestjs-page-cache';

/** Span names. */
export const SPANS = {
  /** One page request the cache handled (early or not), from its arrival to its response. */
  page: 'page_cache.page',
  /** One read of a page and its dependencies' tokens. */
  lookup: 'page_cache.lookup',
  /** Waiting for, or taking, the fill lock of a missing page (or `@Cached` call). */
  lockWait: 'page_cache.lock_wait',
  /** Storing a rendered page or a computed value. */
  storeWrite: 'page_cache.store_write',
  /** One invalidation: a model (or entity) saved, or `expirePage`. */
  invalidate: 'page_cache.invalidate',
  /** The edge purge that follows an invalidation (`pages.edge.purge`). */
  edgePurge: 'page_cache.edge_purge',
  /** One call of a `@Cached` method. */
  cachedMethod: 'page_cache.cached_method',
  /** One call of `CacheService.getOrSet`. */
  getOrSet: 'page_cache.get_or_set',
} as const;

/** Attribute names (on spans, and on metric points where they apply). */
export const ATTRIBUTES = {
  /** The cache's name (`'default'`, or `CacheModule.forRoot({ name })`). */
  cache: 'page_cache.cache.name',
  /** The view: `ControllerName.methodName` or `@CachePage({ key })`. */
  view: 'page_cache.view',
  /** The route template, as the HTTP semantic conventions name it (`/posts/:id`). */
  route: 'http.route',
  /** `hit`, `stale`, `miss` or `bypass` (pages); `hit`, `shared`, `miss` or `bypass` (values). */
  outcome: 'page_cache.outcome',
  /** Why a request or response was kept out of the cache (the `stats()` bypass reason). */
  bypassReason: 'page_cache.bypass.reason',
  /** Served before Nest's pipeline (the early hit path). */
  early: 'page_cache.early',
  /** What the lookup found: `found`, `missing` or `unavailable` (the store failed). */
  lookupResult: 'page_cache.lookup.result',
  /** `process` (another request of this process renders) or `store` (the fill lock). */
  lockScope: 'page_cache.lock.scope',
  /** `acquired`, `filled` (another stored it meanwhile), `timed_out` or `unavailable`. */
  lockOutcome: 'page_cache.lock.outcome',
  /** Whether the lock was held by another owner, so this request waited. */
  lockWaited: 'page_cache.lock.waited',
  /** Whether a write stored the entry (false: an invalidation outdated it meanwhile). */
  stored: 'page_cache.stored',
  /** Bytes of the entry written. */
  entryBytes: 'page_cache.entry.bytes',
  /** `model` (a save of a model or entity) or `page` (`expirePage`). */
  invalidationKind: 'page_cache.invalidation.kind',
  /** The model an invalidation clears. */
  model: 'page_cache.model',
  /** Entries an invalidation removed. */
  entriesRemoved: 'page_cache.invalidation.entries_removed',
  /** A retry of an invalidation that failed before (outbox, journal). */
  retry: 'page_cache.invalidation.retry',
  /** `succeeded`, `failed`, `queued` (joined the retries) or `slow` (no answer in time yet). */
  edgeOutcome: 'page_cache.edge.outcome',
  /** The `@Cached` method, `Class.method`. */
  method: 'page_cache.method',
  /** Opt-in (`telemetry: { keys: true }`): the cache key. */
  key: 'page_cache.key',
  /** Opt-in: the entity id an invalidation clears. */
  entityId: 'page_cache.entity.id',
  /** Opt-in: the path `expirePage` expires. */
  path: 'url.path',
} as const;

/** Metric names: the figures of `CacheService.stats()`, read when the meter collects. */
export const METRICS = {
  pageHits: 'page_cache.page.hits',
  pageMisses: 'page_cache.page.misses',
  pageStaleHits: 'page_cache.page.stale_hits',
  pageEarlyHits: 'page_cache.page.early_hits',
  pageWrites: 'page_cache.page.writes',
  pageLockWaits: 'page_cache.page.lock_waits',
  pageServedBytes: 'page_cache.page.served_bytes',
  pageBypasses: 'page_cache.page.bypasses',
  hitDuration: 'page_cache.page.hit.duration',
  methodHits: 'page_cache.method.hits',
  methodMisses: 'page_cache.method.misses',
  methodWrites: 'page_cache.method.writes',
  valueHits: 'page_cache.value.hits',
  valueMisses: 'page_cache.value.misses',
  valueWrites: 'page_cache.value.writes',
  invalidations: 'page_cache.invalidations',
  invalidatedEntries: 'page_cache.invalidated_entries',
  storeErrors: 'page_cache.store.errors',
  breakerOpen: 'page_cache.breaker.open',
  edgePurges: 'page_cache.edge.purges',
  edgeRetries: 'page_cache.edge.retries',
  edgePendingTags: 'page_cache.edge.pending_tag.count',
  nearHits: 'page_cache.near.hits',
  nearCopies: 'page_cache.near.copy.count',
  nearBytes: 'page_cache.near.memory.usage',
  nearLeaseHeld: 'page_cache.near.lease.held',
  nearInvalidationWaits: 'page_cache.near.invalidation_waits',
} as const;
