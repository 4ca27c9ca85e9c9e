import type { CallHandler } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { BypassReason, CacheStatistics } from '../cache-statistics.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import type { DependencyTracker } from '../dependency-tracker.js';
import type { PageEdgeMarks } from '../edge/page-edge-marks.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import type { CacheTracing, PageSpan } from '../telemetry/tracing.interface.js';
import type { AdapterResponse } from './adapter-response.js';
import type { CapturedResponse } from './fill/capture.js';
import type { LearnedVary } from './key/learned-vary.js';
import type { PageBypass, PageLocation } from './key/page-key.js';
import type { OnceWarnings } from './once-warnings.js';
import type { PageRequest } from './page-metadata.js';
import type { PagePolicy } from './policy/page-policy.js';
import type { RouteJudgement } from './policy/route-judgement.js';
import type { StoredPage } from './stored-page.js';

/**
 * What the fetcher and the filler share: the cache's providers, the interceptor's state, and its
 * extension points (`PageCacheInterceptor`'s protected methods, which a subclass may override).
 */
export interface PageCacheParts {
  store: CacheStore;
  tracker: DependencyTracker;
  pending: PendingInvalidations;
  counters: CacheStatistics;
  /** Spans of page requests, while a tracer provider is registered. */
  tracing?: CacheTracing;
  options: ResolvedCacheOptions;
  warnings: OnceWarnings;
  /**
   * Routes whose render read the request's spelling (`req.url`, the `Host` header…): their pages
   * are keyed by the request as sent, each spelling its own entry. Renders add to it, keys read it.
   */
  rawSpellings: WeakSet<PagePolicy>;
  /** The headers each route learned from its responses' `Vary`: renders add, keys read. */
  learnedVary: LearnedVary;
  /** The edge marks (built on first use: they need the purger, injected after construction). */
  edge(): PageEdgeMarks;
  locate(policy: PagePolicy, request: PageRequest): PageLocation | PageBypass;
  rejectResponse(
    captured: CapturedResponse,
    policy: PagePolicy,
    keyed: readonly string[],
  ): BypassReason | undefined;
  /** A hit: counted (`onHit`), and told to the request's span. */
  onHit(hit: PageHit, span?: PageSpan): void;
  /** A miss: counted (`onMiss`), told to the advisor and the span (never called on a hit). */
  onMiss(policy: PagePolicy, location: PageLocation, request: PageRequest, span?: PageSpan): void;
  /**
   * The one place bypasses go: counted (`onBypass`), told to the span, and said once per route and
   * reason when the app can fix it (`detail` is what the message names: a header, a directive…).
   */
  onBypass(policy: PagePolicy, reason: BypassReason, detail?: string, span?: PageSpan): void;
}

/** One request on its way through the page cache, keyed: what the fetcher and the filler share. */
export interface Exchange {
  request: PageRequest;
  response: AdapterResponse;
  raw: ServerResponse;
  policy: PagePolicy;
  location: PageLocation;
  /** `performance.now()` when the request reached the cache, only while hits are timed. */
  startedAt?: number;
  /** The request's `page_cache.page` span, while a tracer provider is registered. */
  span?: PageSpan;
}

/** An exchange on Nest's pipeline, whose handler may run (a miss, a refresh). */
export interface PipelineExchange extends Exchange {
  next: CallHandler;
  /** What the route may skip and who may share its pages (judged once per route). */
  judgement: RouteJudgement;
}

/** A request answered from the cache, as `PageCacheInterceptor.onHit()` is told of it. */
export interface PageHit {
  policy: PagePolicy;
  location: PageLocation;
  page: StoredPage;
  /** Past its TTL, served within grace. */
  stale: boolean;
  /** Body bytes sent (0 for HEAD and 304 answers). */
  bytesSent: number;
  /** `performance.now()` when the request reached the cache, only while hits are timed. */
  startedAt?: number;
  /** Served by the early hit path, before Nest's pipeline. */
  early: boolean;
}
