import { StreamableFile } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { catchError, of, tap, throwError, type Observable } from 'rxjs';
import type { BypassReason } from '../../cache-statistics.js';
import type { PageMeta } from '../../codec.js';
import { RENDER_LEASE_MS } from '../../dependency-tracker.js';
import type { EdgeTagHeader, PageEdgeMarks } from '../../edge/page-edge-marks.js';
import type { PageCacheParts, PipelineExchange } from '../exchange.js';
import type { PageFetcher } from '../page-fetcher.js';
import type { PagePolicy } from '../policy/page-policy.js';
import { pageCacheControl } from '../policy/route-judgement.js';
import type { StoredPage } from '../stored-page.js';
import { captureResponse, type CaptureDecision, type CapturedResponse } from './capture.js';
import { acceptIdentityOnly } from './identity-render.js';
import { judgeReads } from './judge-reads.js';
import { bypassDetail, pageMetaOf, withoutHeader } from './storability.js';
import { storePage } from './store-page.js';
import { watchInputs, type InputRead } from './unkeyed-inputs.js';

export interface RenderJob {
  exchange: PipelineExchange;
  /** The tokens read before the handler runs; without them the page is not stored. */
  generations?: string[];
  /** Told once what was stored (or that nothing was), for the requests waiting on this render. */
  onSettled?: (page: StoredPage | undefined) => void;
  /** A refresh's stored page: what a handler that fails before sending anything answers with. */
  fallback?: StoredPage;
}

/** Runs the handler, captures what it sends, and stores it if cacheable (see `capture.ts`). */
export function renderPage(
  parts: PageCacheParts,
  fetcher: PageFetcher,
  job: RenderJob,
): Observable<unknown> {
  return new PageRender(parts, fetcher, job).run();
}

/** The state of one render, from the handler's start to its page stored (or not). */
class PageRender {
  private readonly edge: PageEdgeMarks;
  private settled = false;
  private stopWatching?: () => InputRead[];
  /** Puts back the request's `Accept-Encoding` (changed while the head is built). */
  private restoreEncoding: () => void = () => undefined;
  private tag?: EdgeTagHeader;
  /** The `Cache-Control` this render set (the configured one), if any. */
  private cacheControl?: string;
  private started = 0;

  constructor(
    private readonly parts: PageCacheParts,
    private readonly fetcher: PageFetcher,
    private readonly job: RenderJob,
  ) {
    this.edge = parts.edge();
  }

  run(): Observable<unknown> {
    const { request, raw, next, policy, location, judgement } = this.job.exchange;
    const generations = this.job.generations;
    raw.setHeader('x-cache', 'MISS');
    this.parts.onMiss(policy, location, request);
    if (policy.vary.headers.length > 0) {
      // Added to a Vary the handler declared (@Header, set before interceptors run on Express).
      const own = raw.getHeader('vary');
      const vary = policy.vary.headers.join(', ');
      raw.setHeader('vary', own === undefined ? vary : `${String(own)}, ${vary}`);
    }
    if (!generations || request.method === 'HEAD') {
      if (request.method === 'HEAD') this.parts.onBypass(policy, 'head');
      this.edge.keepPrivate(raw);
      this.settle(undefined);
      return next.handle();
    }
    this.tag = this.edge.tagHeader(policy, judgement, location, request);
    // A handler's own Cache-Control (@Header, set before interceptors run on Express) wins.
    const edge = { enabled: this.edge.enabled, tagged: this.tag !== undefined };
    this.cacheControl = pageCacheControl(policy.cacheControl, judgement, edge);
    if (this.cacheControl && !raw.hasHeader('cache-control')) {
      raw.setHeader('cache-control', this.cacheControl);
    }
    this.started = performance.now();
    // Stored unencoded, whatever compression middleware the app runs (see identity-render.ts).
    this.restoreEncoding = acceptIdentityOnly(request);
    // The request's spelling is always watched: it decides the route's key form.
    const { rawSpellings, options } = this.parts;
    const all = options.pages.unkeyedInputs !== 'off';
    this.stopWatching = watchInputs(request, policy, rawSpellings.has(policy), all);
    // A response that never ends (the client went away) must not hold the others.
    raw.once('close', () => {
      this.restoreEncoding();
      this.unkeyedReads();
      this.settle(undefined);
    });
    const release = captureResponse(raw, captured => this.decide(captured, generations));
    return next.handle().pipe(
      tap(value => {
        // A stream is sent as it is read: nobody waits for it.
        if (value instanceof StreamableFile) this.settle(undefined);
      }),
      catchError((error: unknown) => this.failed(error, release)),
    );
  }

  /** Tells the waiting requests (once) what this render stored. */
  private settle(page: StoredPage | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.job.onSettled?.(page);
  }

  /** Stops recording (once) and returns the reads that are not in the key. */
  private unkeyedReads(): InputRead[] {
    const stop = this.stopWatching;
    this.stopWatching = undefined;
    return stop ? stop() : [];
  }

  /** The head of the response, about to be sent: store it, or say no shared cache may keep it. */
  private decide(captured: CapturedResponse, generations: string[]): CaptureDecision | undefined {
    const { policy, location, raw } = this.job.exchange;
    // The middlewares have chosen the encoding (Express as the head is written, Fastify before).
    this.restoreEncoding();
    const reads = this.unkeyedReads();
    const ours =
      this.cacheControl !== undefined &&
      captured.headers.get('cache-control') === this.cacheControl;
    let rejected: BypassReason | undefined = captured.streamed
      ? 'stream'
      : this.parts.rejectResponse(
          ours ? withoutHeader(captured, 'cache-control') : captured,
          policy,
        );
    if (!rejected && reads.length > 0) rejected = this.judge(policy, reads);
    if (rejected) {
      this.parts.onBypass(policy, rejected, bypassDetail(rejected, captured, policy));
      this.settle(undefined);
      // Not a cacheable page after all (a 404, a Set-Cookie…): with an edge, said private unless
      // the handler said otherwise (an error filter drops our headers too), as no purge reaches it.
      if (this.edge.enabled && (ours || !captured.headers.has('cache-control'))) {
        return { headers: { 'cache-control': 'private' } };
      }
      return ours ? { remove: ['cache-control'] } : undefined;
    }
    const meta = pageMetaOf(captured, policy, performance.now() - this.started, this.tag);
    // The response is held until the entry is stored, so a client with its answer finds it cached.
    const stored = storePage(this.parts, {
      location,
      policy,
      meta,
      body: captured.body,
      generations,
    });
    return {
      headers: sentHeaders(meta, this.tag),
      wait: stored.then(page => this.stored(page, meta, raw)),
    };
  }

  /** What the store said: the page (current), or nothing (outdated, or the store failed). */
  private stored(page: StoredPage | undefined, meta: PageMeta, raw: ServerResponse): void {
    const { policy, location } = this.job.exchange;
    this.settle(page);
    if (page) return;
    if (this.tag) this.edge.purgeWhenSent(raw, location);
    // A miss's new tokens last one render lease: a slower render is never stored. Said once.
    if (meta.r > RENDER_LEASE_MS) {
      this.parts.onBypass(policy, 'render-time', String(Math.round(meta.r / 1000)));
    }
  }

  /** Reads of inputs the key does not hold: logged, and the route's key form switched. */
  private judge(policy: PagePolicy, reads: InputRead[]): BypassReason | undefined {
    const { rawSpellings, options, warnings } = this.parts;
    const unkeyedInputs = options.pages.unkeyedInputs;
    const verdict = judgeReads(policy.view, reads, rawSpellings.has(policy), unkeyedInputs);
    if (verdict.keyAsSent) rawSpellings.add(policy);
    for (const { message, key } of verdict.warnings) warnings.warn(message, key);
    return verdict.rejected;
  }

  /** The handler failed: with a stored page and nothing sent yet, answer with it (stale-if-error). */
  private failed(error: unknown, release: () => void): Observable<unknown> {
    const { exchange, fallback } = this.job;
    const raw = exchange.raw;
    this.restoreEncoding();
    this.settle(undefined);
    this.unkeyedReads();
    if (!fallback || raw.headersSent) return throwError(() => error);
    release();
    raw.removeHeader('x-cache');
    if (this.cacheControl && raw.getHeader('cache-control') === this.cacheControl) {
      raw.removeHeader('cache-control');
    }
    return of(this.fetcher.serve(exchange, fallback, 'STALE'));
  }
}

/** The headers a stored page's response goes out with: its ETag, and an edge's tag and Vary. */
function sentHeaders(meta: PageMeta, tag: EdgeTagHeader | undefined): Record<string, string> {
  if (!tag) return { etag: meta.e };
  const name = tag.name.toLowerCase();
  return {
    etag: meta.e,
    ...Object.fromEntries(meta.h.filter(([header]) => header === 'vary' || header === name)),
  };
}
