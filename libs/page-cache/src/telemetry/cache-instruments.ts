import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import {
  HIT_DURATION_BUCKETS,
  type CacheStatistics,
  type CacheStats,
  type PageStats,
} from '../cache-statistics.js';
import { ATTRIBUTES, METRICS } from './telemetry-names.js';

type Point = [value: number, attributes: Attributes];

/** One instrument: how it is made, and how its points are read from a snapshot of `stats()`. */
interface Instrument {
  name: string;
  /** `counter`: a running total; `sum`: an amount now, additive over processes; `gauge`: a state. */
  kind: 'counter' | 'sum' | 'gauge';
  unit: string;
  description: string;
  read(stats: CacheStats, cache: Attributes): Point[];
}

const perView =
  (field: Exclude<keyof PageStats, 'bypasses' | 'hitRate'>) =>
  (stats: CacheStats, cache: Attributes): Point[] =>
    Object.entries(stats.views).map(([view, figures]) => [
      figures[field],
      { ...cache, [ATTRIBUTES.view]: view },
    ]);

const perMethod =
  (field: 'hits' | 'misses' | 'writes') =>
  (stats: CacheStats, cache: Attributes): Point[] =>
    Object.entries(stats.methods).map(([method, figures]) => [
      figures[field],
      { ...cache, [ATTRIBUTES.method]: method },
    ]);

const perCache =
  (read: (stats: CacheStats) => number | undefined) =>
  (stats: CacheStats, cache: Attributes): Point[] => {
    const value = read(stats);
    return value === undefined ? [] : [[value, cache]];
  };

/** The figures of `stats()`, with the meaning the Prometheus metrics give them. */
const INSTRUMENTS: Instrument[] = [
  counter(
    METRICS.pageHits,
    '{request}',
    'Page requests answered from the cache (stale ones included).',
    perView('hits'),
  ),
  counter(
    METRICS.pageMisses,
    '{request}',
    'Page requests that found no usable entry and ran the handler.',
    perView('misses'),
  ),
  counter(
    METRICS.pageStaleHits,
    '{request}',
    'Page hits served past their TTL, within grace.',
    perView('stale'),
  ),
  counter(
    METRICS.pageEarlyHits,
    '{request}',
    "Page hits served before Nest's pipeline.",
    perView('earlyHits'),
  ),
  counter(METRICS.pageWrites, '{entry}', 'Page entries stored (fills).', perView('writes')),
  counter(
    METRICS.pageLockWaits,
    '{request}',
    "Page requests that waited for another's render.",
    perView('lockWaits'),
  ),
  counter(
    METRICS.pageServedBytes,
    'By',
    'Body bytes of pages sent from the cache.',
    perView('bytesServed'),
  ),
  counter(
    METRICS.pageBypasses,
    '{request}',
    'Page requests or responses kept out of the cache, by reason.',
    (stats, cache) =>
      Object.entries(stats.views).flatMap(([view, figures]) =>
        Object.entries(figures.bypasses).map(([reason, count]): Point => [
          count ?? 0,
          { ...cache, [ATTRIBUTES.view]: view, [ATTRIBUTES.bypassReason]: reason },
        ]),
      ),
  ),
  counter(
    METRICS.methodHits,
    '{call}',
    '@Cached calls answered without running the method.',
    perMethod('hits'),
  ),
  counter(
    METRICS.methodMisses,
    '{call}',
    '@Cached calls that ran the method.',
    perMethod('misses'),
  ),
  counter(METRICS.methodWrites, '{entry}', '@Cached results stored.', perMethod('writes')),
  counter(
    METRICS.valueHits,
    '{read}',
    'Values found by CacheService reads.',
    perCache(s => s.values.hits),
  ),
  counter(
    METRICS.valueMisses,
    '{read}',
    'Values not found by CacheService reads.',
    perCache(s => s.values.misses),
  ),
  counter(
    METRICS.valueWrites,
    '{entry}',
    'Values stored through CacheService.',
    perCache(s => s.values.writes),
  ),
  counter(
    METRICS.invalidations,
    '{invalidation}',
    'Invalidations run.',
    perCache(s => s.invalidations.count),
  ),
  counter(
    METRICS.invalidatedEntries,
    '{entry}',
    'Entries removed by invalidations.',
    perCache(s => s.invalidations.entriesRemoved),
  ),
  counter(
    METRICS.storeErrors,
    '{error}',
    'Store calls that failed: unreachable, timed out.',
    perCache(s => s.storeErrors),
  ),
  {
    name: METRICS.breakerOpen,
    kind: 'gauge',
    unit: '1',
    description: 'Whether the circuit breaker keeps the store out of use (1) or not (0).',
    read: perCache(s => (s.breaker === 'closed' ? 0 : 1)),
  },
  counter(
    METRICS.edgePurges,
    '{call}',
    'Calls of the edge purge, by outcome: succeeded, failed.',
    (stats, cache) =>
      stats.edge
        ? [
            [stats.edge.succeeded, { ...cache, [ATTRIBUTES.edgeOutcome]: 'succeeded' }],
            [stats.edge.failed, { ...cache, [ATTRIBUTES.edgeOutcome]: 'failed' }],
          ]
        : [],
  ),
  counter(
    METRICS.edgeRetries,
    '{call}',
    'Edge purges retried in the background.',
    perCache(s => s.edge?.retries),
  ),
  sum(
    METRICS.edgePendingTags,
    '{tag}',
    'Edge tags whose purge failed and waits for a retry.',
    perCache(s => s.edge?.pendingTags),
  ),
  counter(
    METRICS.nearHits,
    '{read}',
    'Reads answered from near copies.',
    perCache(s => s.near?.hits),
  ),
  sum(
    METRICS.nearCopies,
    '{entry}',
    'Near copies held.',
    perCache(s => s.near?.copies),
  ),
  sum(
    METRICS.nearBytes,
    'By',
    'Bytes held in near copies.',
    perCache(s => s.near?.bytes),
  ),
  {
    name: METRICS.nearLeaseHeld,
    kind: 'gauge',
    unit: '1',
    description: 'Whether the near lease is held (1: copies are served) or lapsed (0).',
    read: perCache(s => s.near && (s.near.lease === 'held' ? 1 : 0)),
  },
  counter(
    METRICS.nearInvalidationWaits,
    '{invalidation}',
    "Invalidations that waited for near holders' acknowledgements.",
    perCache(s => s.near?.invalidationWaits.count),
  ),
];

/**
 * Observes the statistics of one cache as OpenTelemetry instruments: one snapshot per collection,
 * read by a batch callback (nothing is counted twice, and the figures are those of `stats()`),
 * and the hit durations as a histogram (hits are timed only while it is registered).
 * @returns what removes them.
 */
export function observeStatistics(meter: Meter, statistics: CacheStatistics): () => void {
  const observables = INSTRUMENTS.map(instrument => create(meter, instrument));
  const callback = (result: BatchObservableResult) => {
    const stats = statistics.snapshot();
    const cache = { [ATTRIBUTES.cache]: stats.cache };
    INSTRUMENTS.forEach((instrument, i) => {
      for (const [value, attributes] of instrument.read(stats, cache)) {
        result.observe(observables[i]!, value, attributes);
      }
    });
  };
  meter.addBatchObservableCallback(callback, observables);
  const histogram = meter.createHistogram(METRICS.hitDuration, {
    unit: 's',
    description:
      'Time from a request reaching the page cache to its cached response being written.',
    advice: { explicitBucketBoundaries: [...HIT_DURATION_BUCKETS] },
  });
  // One attributes object per view, made on its first hit.
  const byView = new Map<string, Attributes>();
  const stopTiming = statistics.observeHitDurations((view, seconds) => {
    let attributes = byView.get(view);
    if (!attributes) {
      attributes = { [ATTRIBUTES.cache]: statistics.name, [ATTRIBUTES.view]: view };
      byView.set(view, attributes);
    }
    histogram.record(seconds, attributes);
  });
  return () => {
    meter.removeBatchObservableCallback(callback, observables);
    stopTiming();
  };
}

function counter(
  name: string,
  unit: string,
  description: string,
  read: Instrument['read'],
): Instrument {
  return { name, kind: 'counter', unit, description, read };
}

function sum(
  name: string,
  unit: string,
  description: string,
  read: Instrument['read'],
): Instrument {
  return { name, kind: 'sum', unit, description, read };
}

function create(meter: Meter, { name, kind, unit, description }: Instrument): Observable {
  const options = { unit, description };
  if (kind === 'counter') return meter.createObservableCounter(name, options);
  if (kind === 'sum') return meter.createObservableUpDownCounter(name, options);
  return meter.createObservableGauge(name, options);
}
