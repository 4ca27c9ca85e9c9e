import { from, of, switchMap, type Observable } from 'rxjs';
import type { PageCacheParts, PipelineExchange } from './exchange.js';
import { SPANS } from '../telemetry/telemetry-names.js';
import { FillLock, lockWaitAttributes } from './fill/fill-lock.js';
import { renderPage, type RenderJob } from './fill/render.js';
import { SingleFlight, within } from './fill/single-flight.js';
import type { PageLocation } from './key/page-key.js';
import type { PageFetcher } from './page-fetcher.js';
import type { HitLabel } from './serve.js';
import type { StoredPage } from './stored-page.js';

/**
 * The fill half of the page cache (Django's `UpdateCacheMiddleware`): single flight → fill lock →
 * render → capture → storability → store.
 */
export class PageFiller {
  private readonly fills = new SingleFlight();
  private readonly lock: FillLock;

  constructor(
    private readonly parts: PageCacheParts,
    private readonly fetcher: PageFetcher,
  ) {
    const { store, options } = parts;
    this.lock = new FillLock(store, options.namespace, options.pages.fillLock);
  }

  /** Whether a render of the page is in progress in this process (its stale page may be served). */
  filling(location: PageLocation): boolean {
    return this.fills.has(location.key);
  }

  /**
   * Renders a missing page once per process and fill lock. A request that finds it rendering
   * waits a bounded time for its result (a slow or streamed render must not hold everyone), then
   * renders on its own.
   */
  fill(exchange: PipelineExchange, generations: string[]): Observable<unknown> {
    const { location, span, policy } = exchange;
    const { counters } = this.parts;
    const pending = this.fills.get(location.key);
    if (pending) {
      counters.lockWait(policy.view);
      const wait = () => within(pending, this.lock.waitMs);
      const waited = span
        ? span.child(SPANS.lockWait, wait, page =>
            lockWaitAttributes('process', page ? 'filled' : 'timed_out', true),
          )
        : wait();
      return from(waited).pipe(
        switchMap(page => (page ? this.serve(exchange, page, 'HIT') : this.render({ exchange }))),
      );
    }
    const done = this.fills.start(location.key);
    const acquire = () => this.lock.acquire(location, () => this.fetcher.freshPage(location));
    const acquired =
      span && this.lock.enabled
        ? span.child(SPANS.lockWait, acquire, ({ outcome, waited }) =>
            lockWaitAttributes('store', outcome, waited),
          )
        : acquire();
    return from(acquired).pipe(
      switchMap(lock => {
        if (lock.waited) counters.lockWait(policy.view);
        if (lock.page) {
          done.resolve(lock.page);
          return this.serve(exchange, lock.page, 'HIT');
        }
        return this.render({
          exchange,
          generations,
          onSettled: page => {
            done.resolve(page);
            if (lock.release) void lock.release();
          },
        });
      }),
    );
  }

  /**
   * Replaces a stale (or early-refresh) page: the request that found it renders it through the
   * whole pipeline, exactly as a miss; requests arriving meanwhile (here or, through the fill
   * lock, elsewhere) get the stored page, and so does this one if the handler fails.
   */
  refresh(exchange: PipelineExchange, stored: StoredPage, label: HitLabel): Observable<unknown> {
    const { location } = exchange;
    const done = this.fills.start(location.key);
    return from(this.lock.tryAcquire(location)).pipe(
      switchMap(release => {
        if (!release) {
          done.resolve(undefined);
          return this.serve(exchange, stored, label);
        }
        return this.render({
          exchange,
          generations: stored.meta.g ?? [],
          onSettled: page => {
            done.resolve(page);
            void release();
          },
          fallback: stored,
        });
      }),
    );
  }

  private serve(exchange: PipelineExchange, page: StoredPage, label: HitLabel) {
    return of(this.fetcher.serve(exchange, page, label));
  }

  private render(job: RenderJob): Observable<unknown> {
    return renderPage(this.parts, this.fetcher, job);
  }
}
