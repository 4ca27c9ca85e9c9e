import type { ServerResponse } from 'node:http';
import type { BypassReason } from '../cache-statistics.js';

/**
 * What the cache's rooms see of its tracing (`CacheTelemetry` implements it): no OpenTelemetry
 * type, so that the library's declarations compile where `@opentelemetry/api` is not installed.
 */

/** Attribute values the cache records. */
export type TraceAttributes = Record<string, string | number | boolean>;

/** One span of the cache, and the context in which it is the active span. */
export interface TraceSpan {
  /** Sets one attribute. */
  set(name: string, value: string | number | boolean): void;
  /** Runs `work` with this span active (its own spans, a database query's, are children). */
  run<T>(work: () => T): T;
  /** Runs `work` with this span active, then ends the span (with the error, if it rejects). */
  runToEnd<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` in a child span named `name`, with `attributes` and those `describe` reads from
   * its result; a rejection is recorded on the child and passed on.
   */
  child<T>(
    name: string,
    work: () => Promise<T>,
    describe?: (result: T) => TraceAttributes,
    attributes?: TraceAttributes,
  ): Promise<T>;
  /** Ends the span (once), with the error that ended its work if any. */
  end(error?: unknown): void;
}

/** The span of one page request (`page_cache.page`), told its outcome where it is counted. */
export interface PageSpan extends TraceSpan {
  /** Served from the cache (`early`: before Nest's pipeline). */
  hit(stale: boolean, early: boolean): void;
  /** No usable entry: the handler renders. */
  miss(): void;
  /** Kept out of the cache, and why (after a miss: its response is not stored). */
  bypass(reason: BypassReason): void;
  /** The page's key (recorded only when keys are opted in). */
  located(key: string): void;
}

/** The tracing of one cache. */
export interface CacheTracing {
  /** Whether keys, entity ids and paths may be recorded (`telemetry: { keys: true }`). */
  readonly keys: boolean;
  /**
   * The span of a page request: the one this cache's early path started for it, else a new one,
   * ending with the response. `undefined` while no tracer provider is registered.
   */
  page(request: object, raw: ServerResponse, view: string): PageSpan | undefined;
  /**
   * A span of an operation of this cache, a child of the active context; `opted` attributes are
   * recorded only with keys opted in. `undefined` while no tracer provider is registered.
   */
  start(name: string, attributes: TraceAttributes, opted?: TraceAttributes): TraceSpan | undefined;
}
