import type { CacheStatistics } from '../cache-statistics.js';
import { DependencyTracker } from '../dependency-tracker.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import { assertValidKey } from '../keys.js';
import { checkedDependencies, type ModelDependency, type NameCheck } from '../models.js';
import type { FillLock } from '../pages/fill/fill-lock.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import { ATTRIBUTES, SPANS } from '../telemetry/telemetry-names.js';
import type { CacheTracing, TraceSpan } from '../telemetry/tracing.interface.js';
import { lockWaitAttributes } from '../pages/fill/fill-lock.js';
import { softly } from './softly.js';
import type { ValueEntries } from './value-entries.js';

/** How a `@Cached` method's calls are cached (see {@link ValueFills.callOnce}). */
export interface MethodCall {
  /** `Class.method`, for the statistics and the model-name check's message. */
  view: string;
  /** Lifetime in ms; undefined: the module's `ttl`. */
  ttlMs?: number;
  /** Models the result is built from. */
  models: readonly ModelDependency[];
  /** The cross-process fill lock. */
  lock: FillLock;
  /** Told when a result cannot be serialized: it is returned, not stored. */
  unstorable(error: TypeError): void;
}

/** One value to fill: its user key, wire key, lifetime and dependencies. */
export interface ValueFill {
  key: string;
  full: string;
  ttlMs: number;
  deps: string[];
}

/** A fill in progress: its value, and the tokens it was computed under. */
interface Flight {
  value: Promise<unknown>;
  deps: string[];
  generations?: string[];
}

/**
 * The single flight behind `getOrSet` and `@Cached` (one per cache): concurrent callers of a missing key in this
 * process share one factory call; for a `@Cached` call, processes share it too through the fill
 * lock. A factory's value is stored under the tokens read just before it ran, and given to a
 * caller that joined the flight only while those tokens are still current.
 */
export class ValueFills {
  private readonly inflight = new Map<string, Flight>();

  constructor(
    private readonly store: CacheStore,
    private readonly tracker: DependencyTracker,
    private readonly statistics: CacheStatistics,
    private readonly entries: ValueEntries,
    private readonly pending: PendingInvalidations,
    private readonly options: { namespace: string; ttlMs: number },
    private readonly names?: NameCheck,
    /** Each call is a `page_cache.get_or_set` or `page_cache.cached_method` span. */
    private readonly tracing?: CacheTracing,
  ) {}

  /**
   * `CacheService.getOrSet`: the value of `fill`. While one of its models has an invalidation
   * that has not reached the store yet, the store still holds the old tokens, so neither a stored
   * value nor one in flight can be trusted, and one stored now would be outdated once the
   * invalidation lands: `factory` is called and its result returned, not stored.
   */
  async getOrSet<T>(
    fill: ValueFill,
    factory: () => T | Promise<T>,
    lookup: () => Promise<T | undefined>,
  ): Promise<T> {
    const span = this.tracing?.start(SPANS.getOrSet, {}, { [ATTRIBUTES.key]: fill.key });
    if (span) return span.runToEnd(() => this.valueOf(fill, factory, lookup, span));
    return this.valueOf(fill, factory, lookup);
  }

  private async valueOf<T>(
    fill: ValueFill,
    factory: () => T | Promise<T>,
    lookup: () => Promise<T | undefined>,
    span?: TraceSpan,
  ): Promise<T> {
    if (this.pending.affectsDependencies(fill.deps)) {
      this.statistics.valueRead(false);
      if (span) bypassed(span);
      return factory();
    }
    return this.run(fill, factory, lookup, undefined, span);
  }

  /**
   * A `@Cached` method's call under `key`: as `getOrSet`, but also takes the cross-process fill
   * lock, counts under the method's name instead of the values, and returns a result the
   * serializer refuses (`undefined`, a cycle…) without storing it.
   */
  async callOnce<T>(key: string, run: () => Promise<T>, call: MethodCall): Promise<T> {
    assertValidKey(key);
    const deps = checkedDependencies(call.models, `@Cached models of ${call.view}`, this.names);
    const span = this.tracing?.start(
      SPANS.cachedMethod,
      { [ATTRIBUTES.method]: call.view },
      { [ATTRIBUTES.key]: key },
    );
    if (span) return span.runToEnd(() => this.callOf(key, deps, run, call, span));
    return this.callOf(key, deps, run, call);
  }

  private async callOf<T>(
    key: string,
    deps: string[],
    run: () => Promise<T>,
    call: MethodCall,
    span?: TraceSpan,
  ): Promise<T> {
    if (this.pending.affectsDependencies(deps)) {
      this.statistics.methodRead(call.view, false);
      if (span) bypassed(span);
      return run();
    }
    const full = `${this.options.namespace}:${key}`;
    const fill = { key, full, ttlMs: call.ttlMs ?? this.options.ttlMs, deps };
    return this.run(fill, run, () => this.entries.read<T>(full, deps), call, span);
  }

  /**
   * The value of `fill`: the stored one (`lookup`), the one of a flight in progress, or the
   * factory's, stored.
   */
  private async run<T>(
    fill: ValueFill,
    factory: () => T | Promise<T>,
    lookup: () => Promise<T | undefined>,
    call?: MethodCall,
    span?: TraceSpan,
  ): Promise<T> {
    const { full, deps } = fill;
    const pending = this.inflight.get(full);
    if (pending) {
      const value = (await pending.value) as T;
      // That fill may have read its data before an invalidation that resolved since this call
      // began: its value is returned only while the tokens it was computed under are current.
      if (
        pending.deps.length === 0 ||
        (await this.stillCurrent(pending.deps, pending.generations))
      ) {
        if (call) this.statistics.methodRead(call.view, true);
        span?.set(ATTRIBUTES.outcome, 'shared');
        return value;
      }
      return this.run(fill, factory, lookup, call, span);
    }
    const flight: Flight = { value: Promise.resolve(undefined), deps };
    const filling = (async () => {
      const cached = await lookup();
      if (cached !== undefined) {
        if (call) this.statistics.methodRead(call.view, true);
        span?.set(ATTRIBUTES.outcome, 'hit');
        return cached;
      }
      let release: (() => Promise<unknown>) | undefined;
      if (call) {
        // Another process may be computing it: wait (bounded) for its entry rather than compute.
        const acquire = () => call.lock.acquire({ key: full }, lookup);
        const lock = await (span && call.lock.enabled
          ? span.child(SPANS.lockWait, acquire, ({ outcome, waited }) =>
              lockWaitAttributes('store', outcome, waited),
            )
          : acquire());
        if (lock.page !== undefined) {
          this.statistics.methodRead(call.view, true);
          span?.set(ATTRIBUTES.outcome, 'hit');
          return lock.page;
        }
        release = lock.release;
        this.statistics.methodRead(call.view, false);
      }
      span?.set(ATTRIBUTES.outcome, 'miss');
      try {
        return await this.compute(fill, factory, flight, call, span);
      } finally {
        if (release) void release();
      }
    })();
    flight.value = filling;
    this.inflight.set(full, flight);
    try {
      return await filling;
    } finally {
      if (this.inflight.get(full) === flight) this.inflight.delete(full);
    }
  }

  /** Runs the factory of a fill and stores its value under the tokens read just before. */
  private async compute<T>(
    fill: ValueFill,
    factory: () => T | Promise<T>,
    flight: Flight,
    call: MethodCall | undefined,
    span: TraceSpan | undefined,
  ): Promise<T> {
    const { key, full, deps, ttlMs } = fill;
    // Tokens are read before the factory reads its data (see DependencyTracker).
    const generations =
      deps.length > 0 ? await softly(() => this.tracker.generationsForWrite(deps), undefined) : [];
    flight.generations = generations;
    const value = await factory();
    let bytes: Buffer;
    try {
      bytes = this.entries.encode(value, deps, generations);
    } catch (error) {
      if (!call || !(error instanceof TypeError)) throw error;
      call.unstorable(error);
      return value;
    }
    const write = async () =>
      deps.length === 0
        ? await this.store.set(full, bytes, ttlMs)
        : generations !== undefined &&
          (await this.tracker.write(full, bytes, ttlMs, deps, generations));
    await softly(async () => {
      const stored = await (span
        ? span.child(SPANS.storeWrite, write, written => ({
            [ATTRIBUTES.stored]: written,
            [ATTRIBUTES.entryBytes]: bytes.length,
          }))
        : write());
      if (!stored) return;
      if (call) this.statistics.methodWrite(call.view, key, bytes.length);
      else this.statistics.write(undefined, key, bytes.length);
    }, undefined);
    return value;
  }

  /**
   * Whether a caller may take the value of a fill already in flight: only while the tokens it was
   * computed under are all still current. A fill that could not read its tokens (the store was
   * down, or its epoch unknown) is shared only with callers that cannot read them either: once
   * they can, an invalidation may have resolved since the fill read its data.
   */
  private async stillCurrent(deps: string[], generations: string[] | undefined): Promise<boolean> {
    const current = await softly(() => this.tracker.currentGenerations(deps), undefined);
    if (!generations) return current === undefined;
    return current !== undefined && DependencyTracker.isCurrent(generations, current);
  }
}

/** A call whose models have an invalidation on its way: computed, neither read nor stored. */
function bypassed(span: TraceSpan): void {
  span.set(ATTRIBUTES.outcome, 'bypass');
  span.set(ATTRIBUTES.bypassReason, 'pending-invalidation');
}
