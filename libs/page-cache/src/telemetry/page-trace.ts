import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { BypassReason } from '../cache-statistics.js';
import type { OpenTelemetryApi } from './open-telemetry.js';
import { SpanScope } from './span-scope.js';
import type { PageSpan } from './tracing.interface.js';
import { ATTRIBUTES } from './telemetry-names.js';

/** What became of a page request: served (fresh or stale), rendered, or kept out of the cache. */
export type PageOutcome = 'hit' | 'stale' | 'miss' | 'bypass';

/**
 * The span of one page request (`page_cache.page`), told its outcome where the page cache counts
 * it (`PageCacheParts.onHit`, `onMiss`, `onBypass`): one judgement, said to `stats()` and here.
 * A miss whose response is then kept out of the cache stays a miss, with the bypass reason.
 */
export class PageTrace extends SpanScope implements PageSpan {
  private outcome?: PageOutcome;

  constructor(
    api: OpenTelemetryApi,
    tracer: Tracer,
    span: Span,
    parent: Context,
    /** Whether the page's key may be recorded (`telemetry: { keys: true }`). */
    private readonly keys: boolean,
  ) {
    super(api, tracer, span, parent);
  }

  hit(stale: boolean, early: boolean): void {
    this.said(stale ? 'stale' : 'hit');
    if (early) this.set(ATTRIBUTES.early, true);
  }

  miss(): void {
    this.said('miss');
  }

  bypass(reason: BypassReason): void {
    if (this.outcome === undefined) this.said('bypass');
    this.set(ATTRIBUTES.bypassReason, reason);
  }

  located(key: string): void {
    if (this.keys) this.set(ATTRIBUTES.key, key);
  }

  private said(outcome: PageOutcome): void {
    this.outcome = outcome;
    this.set(ATTRIBUTES.outcome, outcome);
  }
}
