import type { OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NearStats } from './near/near.store.js';
import type { BreakerState, ResilientStore } from './stores/resilient.store.js';

/** Why a request or response was not served from or stored in the cache. */
export type BypassReason =
  | 'authorization'
  | 'missing-id'
  | 'status'
  | 'set-cookie'
  | 'cache-control'
  | 'vary'
  | 'encoding'
  | 'accept-encoding'
  | 'stream'
  | 'size'
  | 'head'
  | 'store'
  | 'entity-id'
  | 'principal'
  | 'variant'
  | 'host'
  | 'unkeyed-input'
  | 'body'
  | 'pending-invalidation'
  | 'url'
  | 'protocol'
  | 'render-time';

/** Counters of one cached view (or of all of them). */
export interface PageStats {
  /** Requests answered from the cache (stale ones included). */
  hits: number;
  /** Requests that found no usable entry and ran the handler. */
  misses: number;
  /** Hits served past their TTL, within grace. */
  stale: number;
  /** Of the hits, those served before Nest's pipeline (the early hit path). */
  earlyHits: number;
  /** Requests or responses kept out of the cache, by reason. */
  bypasses: Partial<Record<BypassReason, number>>;
  /** Entries stored. */
  writes: number;
  /**
   * Requests that found their page being rendered — by another request of this process, or
   * (through the fill lock) by another process — and waited for it rather than render it too.
   */
  lockWaits: number;
  /** Body bytes sent from the cache. */
  bytesServed: number;
  /** hits / (hits + misses), 0 when there was no lookup. */
  hitRate: number;
}

/** Counters of one `@Cached` method. */
export interface MethodStats {
  /** Calls answered without running the method: from the store, or from a run of another caller. */
  hits: number;
  /** Calls that ran the method. */
  misses: number;
  /** Results stored. */
  writes: number;
  /** hits / (hits + misses), 0 when there was no call. */
  hitRate: number;
}

/** What `CacheService.stats()` returns. */
export interface CacheStats {
  /** The cache's name (`'default'` unless registered with `name`). */
  cache: string;
  /** All pages together. */
  pages: PageStats;
  /** Per view (`ControllerName.methodName` or `@CachePage({ key })`). */
  views: Record<string, PageStats>;
  /** `@Cached` methods, by `Class.method` (their calls are not counted in `values`). */
  methods: Record<string, MethodStats>;
  /** Values read through `CacheService`. */
  values: { hits: number; misses: number; writes: number; hitRate: number };
  /** Invalidations run, and how many entries they removed. */
  invalidations: { count: number; entriesRemoved: number };
  /** Store calls that failed because the store was unreachable or timed out. */
  storeErrors: number;
  /** The circuit breaker in front of the store. */
  breaker: BreakerState;
  /** Purges of the edge cache (`pages.edge.purge`); present only when one is configured. */
  edge?: EdgePurgeStats;
  /** Near copies in this process (the `near` option); present only when it is on. */
  near?: NearStats;
}

/** Counters of the edge purges of one cache (`stats().edge`). */
export interface EdgePurgeStats {
  /** Calls of `purge` that resolved (first attempts and retries). */
  succeeded: number;
  /** Calls of `purge` that rejected or timed out; their tags are retried. */
  failed: number;
  /** Retries started in the background. */
  retries: number;
  /** Tags waiting for a retry now (0 once every failed purge has gone through). */
  pendingTags: number;
}

/** What happened to one call of the edge's `purge` (`cache.purge` events). */
export type EdgePurgeOutcome = 'succeeded' | 'failed' | 'retrying';

/**
 * Event names emitted on the application's `EventEmitter2` (when `@nestjs/event-emitter` is set
 * up and someone listens), for logging or tracing. Payloads are documented in the README.
 */
export const CACHE_EVENTS = {
  hit: 'cache.hit',
  miss: 'cache.miss',
  bypass: 'cache.bypass',
  write: 'cache.write',
  invalidated: 'cache.invalidated',
  storeState: 'cache.store.state',
  purge: 'cache.purge',
} as const;

/**
 * Default buckets of hit duration histograms (seconds), Prometheus's and OpenTelemetry's: a hit
 * takes about one store round trip, 0.5 ms to 1 s.
 */
export const HIT_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/** What is counted per view, method and for values; hit rates are derived in snapshots. */
type Counters = Omit<PageStats, 'hitRate'>;
type ReadCounters = Omit<MethodStats, 'hitRate'>;

interface Emitter {
  emit(event: string, payload: unknown): unknown;
  hasListeners(event?: string): boolean;
}

/** What the statistics read of a store's circuit breaker. */
type StoreBreaker = Pick<ResilientStore, 'errors' | 'state' | 'onStateChange'>;

/**
 * In-process counters of one cache, kept at the cost of a few additions per request: no
 * allocation and no store call on the hit path.
 */
export class CacheStatistics implements OnModuleInit {
  private readonly total = newCounters();
  private readonly views = new Map<string, Counters>();
  private readonly values: ReadCounters = { hits: 0, misses: 0, writes: 0 };
  private readonly methods = new Map<string, ReadCounters>();
  private readonly invalidations = { count: 0, entriesRemoved: 0 };
  private readonly purges = { succeeded: 0, failed: 0, retries: 0 };
  /** Set by the edge purger when `pages.edge.purge` is configured: the tags awaiting a retry. */
  edgePending?: () => number;
  private emitter?: Emitter;
  /** Told how long each hit took, in seconds, per view: while there are none, hits are not timed. */
  private hitObservers: readonly ((view: string, seconds: number) => void)[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    /** When false, nothing is counted or emitted (`statistics: false`). */
    readonly enabled = true,
    /** The cache's name (`CacheModule.forRoot({ name })`). */
    readonly name = 'default',
    /** The store's circuit breaker, whose errors and state are reported. */
    private readonly breaker?: StoreBreaker,
    /** Figures of the near copies, when the store keeps them. */
    private readonly near?: () => NearStats | undefined,
  ) {
    breaker?.onStateChange(state => {
      if (this.enabled && this.listens(CACHE_EVENTS.storeState)) {
        this.emit(CACHE_EVENTS.storeState, { state });
      }
    });
  }

  async onModuleInit(): Promise<void> {
    try {
      const { EventEmitter2 } = await import('@nestjs/event-emitter');
      this.emitter = this.moduleRef.get(EventEmitter2, { strict: false }) as Emitter;
    } catch {
      // No EventEmitterModule: statistics only.
    }
  }

  hit(view: string, key: string, bytes: number, stale: boolean, early = false): void {
    if (!this.enabled) return;
    const counters = this.view(view);
    counters.hits++;
    counters.bytesServed += bytes;
    this.total.hits++;
    this.total.bytesServed += bytes;
    if (early) {
      counters.earlyHits++;
      this.total.earlyHits++;
    }
    if (stale) {
      counters.stale++;
      this.total.stale++;
    }
    if (this.listens(CACHE_EVENTS.hit)) this.emit(CACHE_EVENTS.hit, { view, key, bytes, stale });
  }

  /** Whether hits are timed: the interceptor reads the clock only then. */
  get timesHits(): boolean {
    return this.hitObservers.length > 0 && this.enabled;
  }

  /** Adds an observer of hit durations (see `CacheService.observeHitDurations`). @returns the undo. */
  observeHitDurations(observer: (view: string, seconds: number) => void): () => void {
    this.hitObservers = [...this.hitObservers, observer];
    return () => {
      this.hitObservers = this.hitObservers.filter(other => other !== observer);
    };
  }

  /** Records how long a hit took (ms), when hits are timed. */
  hitDuration(view: string, ms: number): void {
    for (const observe of this.hitObservers) observe(view, ms / 1000);
  }

  miss(view: string, key: string): void {
    if (!this.enabled) return;
    this.view(view).misses++;
    this.total.misses++;
    if (this.listens(CACHE_EVENTS.miss)) this.emit(CACHE_EVENTS.miss, { view, key });
  }

  bypass(view: string, reason: BypassReason): void {
    if (!this.enabled) return;
    const counters = this.view(view);
    counters.bypasses[reason] = (counters.bypasses[reason] ?? 0) + 1;
    this.total.bypasses[reason] = (this.total.bypasses[reason] ?? 0) + 1;
    if (this.listens(CACHE_EVENTS.bypass)) this.emit(CACHE_EVENTS.bypass, { view, reason });
  }

  /** A request waited for another's render of its page (see `PageStats.lockWaits`). */
  lockWait(view: string): void {
    if (!this.enabled) return;
    this.view(view).lockWaits++;
    this.total.lockWaits++;
  }

  write(view: string | undefined, key: string, bytes: number): void {
    if (!this.enabled) return;
    if (view === undefined) this.values.writes++;
    else {
      this.view(view).writes++;
      this.total.writes++;
    }
    if (this.listens(CACHE_EVENTS.write)) this.emit(CACHE_EVENTS.write, { view, key, bytes });
  }

  valueRead(hit: boolean): void {
    if (!this.enabled) return;
    if (hit) this.values.hits++;
    else this.values.misses++;
  }

  /** A `@Cached` call answered without running the method (`hit`), or that ran it. */
  methodRead(method: string, hit: boolean): void {
    if (!this.enabled) return;
    const counters = this.method(method);
    if (hit) counters.hits++;
    else counters.misses++;
  }

  /** A `@Cached` call's result stored. */
  methodWrite(method: string, key: string, bytes: number): void {
    if (!this.enabled) return;
    this.method(method).writes++;
    if (this.listens(CACHE_EVENTS.write)) this.emit(CACHE_EVENTS.write, { method, key, bytes });
  }

  invalidated(model: string, id: string | number | undefined, removed: number): void {
    if (!this.enabled) return;
    this.invalidations.count++;
    this.invalidations.entriesRemoved += removed;
    if (this.listens(CACHE_EVENTS.invalidated)) {
      this.emit(CACHE_EVENTS.invalidated, { model, id, removed });
    }
  }

  /**
   * Records a call of the edge's `purge`: `retrying` as a background retry starts, `succeeded` or
   * `failed` (with the error and when it is tried again) once it settles.
   */
  edgePurge(
    outcome: EdgePurgeOutcome,
    tags: readonly string[],
    attempt: number,
    error?: string,
    retryInMs?: number,
  ): void {
    if (!this.enabled) return;
    if (outcome === 'retrying') this.purges.retries++;
    else this.purges[outcome]++;
    if (this.listens(CACHE_EVENTS.purge)) {
      this.emit(CACHE_EVENTS.purge, {
        outcome,
        tags: [...tags],
        attempt,
        ...(error === undefined ? {} : { error }),
        ...(retryInMs === undefined ? {} : { retryInMs }),
      });
    }
  }

  /** A snapshot of every counter. */
  snapshot(): CacheStats {
    const views: Record<string, PageStats> = {};
    for (const [view, counters] of this.views) views[view] = withRate(counters);
    const methods: Record<string, MethodStats> = {};
    for (const [method, counters] of this.methods) methods[method] = withRate(counters);
    return {
      cache: this.name,
      pages: withRate(this.total),
      views,
      methods,
      values: withRate(this.values),
      invalidations: { ...this.invalidations },
      storeErrors: this.breaker?.errors ?? 0,
      breaker: this.breaker?.state ?? 'closed',
      ...(this.edgePending ? { edge: { ...this.purges, pendingTags: this.edgePending() } } : {}),
      ...this.nearStats(),
    };
  }

  private nearStats(): { near?: NearStats } {
    const near = this.near?.();
    return near === undefined ? {} : { near };
  }

  private method(method: string): ReadCounters {
    let counters = this.methods.get(method);
    if (!counters) this.methods.set(method, (counters = { hits: 0, misses: 0, writes: 0 }));
    return counters;
  }

  private view(view: string): Counters {
    let counters = this.views.get(view);
    if (!counters) this.views.set(view, (counters = newCounters()));
    return counters;
  }

  // Checked before a payload is built, so an app without listeners pays nothing for events.
  private listens(event: string): boolean {
    return this.emitter !== undefined && this.emitter.hasListeners(event);
  }

  /** Emits `event` with the cache's name first in its payload (once {@link listens} said yes). */
  private emit(event: string, payload: object): void {
    this.emitter!.emit(event, { cache: this.name, ...payload });
  }
}

function newCounters(): Counters {
  return {
    hits: 0,
    misses: 0,
    stale: 0,
    earlyHits: 0,
    bypasses: {},
    writes: 0,
    lockWaits: 0,
    bytesServed: 0,
  };
}

/** A copy of `counters` with their hit rate: hits / (hits + misses), 0 when there was no lookup. */
function withRate<C extends ReadCounters>(counters: C): C & { hitRate: number } {
  const { hits, misses } = counters;
  // A view's bypasses are copied too: a snapshot never changes afterwards.
  const own = 'bypasses' in counters ? { bypasses: { ...(counters.bypasses as object) } } : {};
  return { ...counters, ...own, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) };
}
