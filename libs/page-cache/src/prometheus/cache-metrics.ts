import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';
import { HIT_DURATION_BUCKETS, type CacheStats } from '../cache-statistics.js';
import type { CacheService } from '../cache.service.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';

/** Options of {@link registerCacheMetrics} and `CacheMetricsModule.forRoot()`. */
export interface CacheMetricsOptions {
  /** The registry the metrics are registered in. Default: prom-client's global `register`. */
  registry?: Registry;
  /** First part of every metric name. Default `'nestjs_page_cache_'`. */
  prefix?: string;
  /**
   * Buckets of the hit duration histogram, in seconds. Default: 0.5 ms to 1 s
   * (`[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]`).
   */
  hitDurationBuckets?: number[];
}

/** Every name {@link CacheMetricsOptions} has (`registry` is prom-client's, not walked). */
export const CACHE_METRICS_OPTION_NAMES: OptionNames<CacheMetricsOptions> = {
  registry: true,
  prefix: true,
  hitDurationBuckets: true,
};

/** The metrics of some caches in one registry. */
export interface CacheMetricsHandle {
  /** The names of the registered metrics. */
  readonly names: readonly string[];
  /** Removes the metrics from the registry and stops timing hits. */
  unregister(): void;
}

type Sample = [labels: Record<string, string>, value: number];
/** How one metric is read from a cache's snapshot at each scrape: its label names and samples. */
type Reader = { labels: string[]; read: (stats: CacheStats) => Sample[] };

const perView = (
  field: 'hits' | 'misses' | 'stale' | 'writes' | 'lockWaits' | 'bytesServed',
): Reader => ({
  labels: ['cache', 'view'],
  read: stats =>
    Object.entries(stats.views).map(([view, figures]) => [
      { cache: stats.cache, view },
      figures[field],
    ]),
});
const perCache = (read: (stats: CacheStats) => number): Reader => ({
  labels: ['cache'],
  read: stats => [[{ cache: stats.cache }, read(stats)]],
});

/** One sample per cache that keeps near copies; none for the others. */
const perNear = (read: (near: NonNullable<CacheStats['near']>) => number): Reader => ({
  labels: ['cache'],
  read: ({ cache, near }) => (near ? [[{ cache }, read(near)]] : []),
});

/** The metrics read from the statistics, by name: help and reader. */
const COLLECTED: Record<string, [help: string, reader: Reader]> = {
  hits_total: ['Page requests answered from the cache (stale hits included).', perView('hits')],
  misses_total: [
    'Page requests that found no usable entry and ran the handler.',
    perView('misses'),
  ],
  stale_hits_total: [
    'Page hits served past their TTL, within grace, while a refresh ran.',
    perView('stale'),
  ],
  writes_total: ['Page entries stored.', perView('writes')],
  lock_waits_total: [
    "Page requests that waited for another's render of their page (this process's or another's).",
    perView('lockWaits'),
  ],
  served_bytes_total: ['Body bytes of pages sent from the cache.', perView('bytesServed')],
  bypasses_total: [
    'Page requests or responses kept out of the cache, by reason.',
    {
      labels: ['cache', 'view', 'reason'],
      read: stats =>
        Object.entries(stats.views).flatMap(([view, figures]) =>
          Object.entries(figures.bypasses).map(([reason, count]): Sample => [
            { cache: stats.cache, view, reason },
            count ?? 0,
          ]),
        ),
    },
  ],
  value_hits_total: ['Values found by CacheService reads.', perCache(stats => stats.values.hits)],
  value_misses_total: [
    'Values not found by CacheService reads.',
    perCache(stats => stats.values.misses),
  ],
  value_writes_total: [
    'Values stored through CacheService.',
    perCache(stats => stats.values.writes),
  ],
  invalidations_total: [
    'Invalidations run (model saves and deletes).',
    perCache(stats => stats.invalidations.count),
  ],
  invalidated_entries_total: [
    'Entries removed by invalidations.',
    perCache(stats => stats.invalidations.entriesRemoved),
  ],
  store_errors_total: [
    'Store calls that failed because the store was unreachable or timed out.',
    perCache(stats => stats.storeErrors),
  ],
  breaker_open: [
    'Whether the circuit breaker in front of the store is open (1) or closed (0).',
    perCache(stats => (stats.breaker === 'closed' ? 0 : 1)),
  ],
  // Only caches with an edge purge (`pages.edge.purge`) have these samples.
  edge_purges_total: [
    'Calls of the edge cache purge (pages.edge.purge), by outcome: succeeded, failed.',
    {
      labels: ['cache', 'outcome'],
      read: ({ cache, edge }) =>
        edge
          ? [
              [{ cache, outcome: 'succeeded' }, edge.succeeded],
              [{ cache, outcome: 'failed' }, edge.failed],
            ]
          : [],
    },
  ],
  edge_pending_tags: [
    'Edge cache tags whose purge failed and waits for a retry.',
    { labels: ['cache'], read: ({ cache, edge }) => (edge ? [[{ cache }, edge.pendingTags]] : []) },
  ],
  // Only caches with near copies (the `near` option) have these samples.
  near_hits_total: [
    'Reads answered from near copies in process memory (nothing sent to Redis).',
    perNear(near => near.hits),
  ],
  near_bytes: ['Bytes held in near copies.', perNear(near => near.bytes)],
  near_lease_held: [
    'Whether the near lease is held (1: copies are served) or lapsed (0).',
    perNear(near => (near.lease === 'held' ? 1 : 0)),
  ],
  near_invalidation_waits_total: [
    "Invalidations that waited for near holders' acknowledgements.",
    perNear(near => near.invalidationWaits.count),
  ],
};

/** The metrics of {@link COLLECTED} that are gauges; the others are counters. */
const GAUGES = new Set(['breaker_open', 'edge_pending_tags', 'near_bytes', 'near_lease_held']);

/**
 * Exposes the statistics of `caches` (`CacheService.stats()`) as Prometheus metrics. Counters are
 * read from the statistics when the registry is scraped (`collect()`), so they cost nothing on the
 * hit path; only the hit duration histogram times requests, and only while it is registered.
 *
 * Every metric is labelled with `cache` (the cache's name), page metrics with `view` too; the
 * README's "Prometheus" section lists them, with their types and labels.
 *
 * @throws Error from prom-client when a metric of the same name is already in the registry.
 */
export function registerCacheMetrics(
  caches: readonly CacheService[],
  options: CacheMetricsOptions = {},
): CacheMetricsHandle {
  checkOptionNames(options, CACHE_METRICS_OPTION_NAMES, 'registerCacheMetrics');
  const registry = options.registry ?? register;
  const prefix = options.prefix ?? 'nestjs_page_cache_';
  const services = [...new Set(caches)];
  const snapshots = () => services.map(cache => cache.stats());
  const registers = [registry];
  const names: string[] = [];
  // A metric's name is recorded once it is registered, so a clash never removes another's.
  const add = <T>(name: string, create: (name: string) => T): T => {
    const metric = create(prefix + name);
    names.push(prefix + name);
    return metric;
  };

  let detach: (() => void)[];
  try {
    for (const [name, [help, { labels: labelNames, read }]] of Object.entries(COLLECTED)) {
      add(name, fullName => {
        const gauge = GAUGES.has(name);
        const collect = function (this: Counter | Gauge) {
          this.reset();
          for (const stats of snapshots()) {
            for (const [labels, value] of read(stats)) {
              if (gauge) (this as Gauge).set(labels, value);
              else this.inc(labels, value);
            }
          }
        };
        const config = { name: fullName, help, labelNames, registers, collect };
        return gauge ? new Gauge(config) : new Counter(config);
      });
    }
    const histogram = add(
      'hit_duration_seconds',
      fullName =>
        new Histogram({
          name: fullName,
          help: 'Time from a request reaching the page cache to its cached response being written.',
          labelNames: ['cache', 'view'],
          buckets: options.hitDurationBuckets ?? [...HIT_DURATION_BUCKETS],
          registers,
        }),
    );
    detach = services.map(cache => {
      const cacheName = cache.stats().cache;
      return cache.observeHitDurations((view, seconds) =>
        histogram.observe({ cache: cacheName, view }, seconds),
      );
    });
  } catch (error) {
    for (const name of names) registry.removeSingleMetric(name);
    throw error;
  }

  let registered = true;
  return {
    names,
    unregister() {
      if (!registered) return;
      registered = false;
      for (const undo of detach) undo();
      for (const name of names) registry.removeSingleMetric(name);
      names.length = 0;
    },
  };
}
