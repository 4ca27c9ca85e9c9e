import { StreamableFile } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { catchError, of, tap, throwError, type Observable } from 'rxjs';
import type { BypassReason } from '../../cache-statistics.js';
import type { PageMeta } from '../../codec.js';
import { RENDER_LEASE_MS } from '../../dependency-tracker.js';
import type { EdgeTagHeader, PageEdgeMarks } from '../../edge/page-edge-marks.js';
import type { PageCacheParts, PipelineExchange } from '../exchange.js';
import type { PageLocation } from '../key/page-key.js';
import type { PageFetcher } from '../page-fetcher.js';
import type { PagePolicy } from '../policy/page-policy.js';
import { pageCacheControl, type RouteJudgement } from '../policy/route-judgement.js';
import type { StoredPage } from '../stored-page.js';
import { captureResponse, type CaptureDecision, type CapturedResponse } from './capture.js';
import { acceptIdentityOnly } from './identity-render.js';
import { judgeReads } from './judge-reads.js';
import { keyedHeaders, learnVary } from './learn-vary.js';
import { bypassDetail, mergeVary, pageMetaOf, withHeader, withoutHeader } from './storability.js';
import { storePage } from './store-page.js';
import { unkeyedReads, watchInputs, type InputRead } from './unkeyed-inputs.js';

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
  /** The route's pages were keyed by the request as sent when this render started. */
  private keyedAsSent = false;
  private tag?: EdgeTagHeader;
  /** The `Cache-Control` this render set (the configured one), if any. */
  private cacheControl?: string;
  /** The route's judgement, as it holds for this render (see `variedJudgement`). */
  private judgement: RouteJudgement = {};
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
    const span = this.job.exchange.span;
    this.parts.onMiss(policy, location, request, span);
    const keyed = keyedHeaders(location, policy);
    if (keyed.length > 0) {
      // Joined to a Vary set before (a CORS middleware; @Header on Express), each header once.
      raw.setHeader('vary', mergeVary(headerText(raw.getHeader('vary')), keyed)!);
    }
    // A route that learned a header is judged as one that declares it: no shared cache keeps it.
    this.judgement = variedJudgement(judgement, keyed.length > policy.vary.headers.length);
    if (!generations || request.method === 'HEAD') {
      if (request.method === 'HEAD') this.parts.onBypass(policy, 'head', undefined, span);
      this.edge.keepPrivate(raw);
      this.settle(undefined);
      return next.handle();
    }
    this.tag = this.edge.tagHeader(policy, this.judgement, location, request);
    // A handler's own Cache-Control (@Header, set before interceptors run on Express) wins.
    const edge = { enabled: this.edge.enabled, tagged: this.tag !== undefined };
    this.cacheControl = pageCacheControl(policy.cacheControl, this.judgement, edge);
    if (this.cacheControl && !raw.hasHeader('cache-control')) {
      raw.setHeader('cache-control', this.cacheControl);
    }
    this.started = performance.now();
    // Stored unencoded, whatever compression middleware the app runs (see identity-render.ts).
    this.restoreEncoding = acceptIdentityOnly(request);
    // The request's spelling is always watched: it decides the route's key form.
    const { rawSpellings, options } = this.parts;
    const all = options.pages.unkeyedInputs !== 'off';
    this.keyedAsSent = rawSpellings.has(policy);
    this.stopWatching = watchInputs(request, policy, all);
    // A response that never ends (the client went away) must not hold the others.
    raw.once('close', () => {
      this.restoreEncoding();
      this.stopReading();
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

  /** Stops recording (once) and returns the inputs the handler read. */
  private stopReading(): InputRead[] {
    const stop = this.stopWatching;
    this.stopWatching = undefined;
    return stop ? stop() : [];
  }

  /** The head of the response, about to be sent: store it, or say no shared cache may keep it. */
  private decide(sent: CapturedResponse, generations: string[]): CaptureDecision | undefined {
    const { exchange } = this.job;
    const { policy, raw } = exchange;
    // The middlewares have chosen the encoding (Express as the head is written, Fastify before).
    this.restoreEncoding();
    // Before a key is built again below: its own reads of the request are not the handler's.
    const read = this.stopReading();
    const changes = new HeadChanges();
    let location = exchange.location;
    let captured = this.announce(sent, location, changes);
    let rejected = this.reject(captured, location);
    if (rejected === 'vary') {
      const learned = learnVary(this.parts, exchange, captured);
      if (typeof learned === 'string') rejected = learned;
      else {
        // The requests waiting on this render looked up the narrower key: each renders its own.
        this.settle(undefined);
        location = learned;
        captured = this.nowVaried(this.announce(captured, location, changes), changes);
        rejected = this.reject(captured, location);
      }
    }
    const reads = unkeyedReads(read, policy, this.keyedAsSent, keyedHeaders(location, policy));
    if (!rejected && reads.length > 0) rejected = this.judge(policy, reads);
    const ours = this.ours(captured);
    if (rejected) {
      this.parts.onBypass(
        policy,
        rejected,
        bypassDetail(rejected, captured, keyedHeaders(location, policy)),
        exchange.span,
      );
      this.settle(undefined);
      // Not a cacheable page after all (a 404, a Set-Cookie…): with an edge, said private unless
      // the handler said otherwise (an error filter drops our headers too), as no purge reaches it.
      if (this.edge.enabled && (ours || !captured.headers.has('cache-control'))) {
        return changes.into({ headers: { 'cache-control': 'private' } });
      }
      return changes.into(ours ? { remove: ['cache-control'] } : undefined);
    }
    const meta = pageMetaOf(captured, policy, performance.now() - this.started, this.tag);
    // The response is held until the entry is stored, so a client with its answer finds it cached.
    const stored = storePage(
      this.parts,
      { location, policy, meta, body: captured.body, generations },
      exchange.span,
    );
    return changes.into({
      headers: sentHeaders(meta, this.tag),
      wait: stored.then(page => this.stored(page, meta, raw, location)),
    });
  }

  /** Whether the response's `Cache-Control` is the one this render set. */
  private ours(captured: CapturedResponse): boolean {
    const cacheControl = this.cacheControl;
    return cacheControl !== undefined && captured.headers.get('cache-control') === cacheControl;
  }

  /** Why the response may not be stored under `location` (our own `Cache-Control` aside). */
  private reject(captured: CapturedResponse, location: PageLocation): BypassReason | undefined {
    const { policy } = this.job.exchange;
    if (captured.streamed) return 'stream';
    const judged = this.ours(captured) ? withoutHeader(captured, 'cache-control') : captured;
    return this.parts.rejectResponse(judged, policy, keyedHeaders(location, policy));
  }

  /**
   * Every header the key holds in the response's `Vary`, each once: on Fastify the app's own
   * `Vary` (a CORS plugin's) replaces the one set on the raw response when the reply is sent.
   */
  private announce(
    captured: CapturedResponse,
    location: PageLocation,
    changes: HeadChanges,
  ): CapturedResponse {
    const own = headerText(captured.headers.get('vary'));
    const vary = mergeVary(own, keyedHeaders(location, this.job.exchange.policy));
    if (vary === (own === undefined ? undefined : mergeVary(own))) return captured;
    changes.set('vary', vary);
    return withHeader(captured, 'vary', vary);
  }

  /**
   * The route has just learned a header: this page is judged as those of a route that declares it
   * (`varies`): no edge tags, the configured `Cache-Control` made private.
   */
  private nowVaried(captured: CapturedResponse, changes: HeadChanges): CapturedResponse {
    const varied = variedJudgement(this.judgement, true);
    if (varied === this.judgement) return captured;
    const mine = this.ours(captured) || !captured.headers.has('cache-control');
    this.judgement = varied;
    this.tag = undefined;
    const edge = { enabled: this.edge.enabled, tagged: false };
    this.cacheControl = pageCacheControl(this.job.exchange.policy.cacheControl, varied, edge);
    if (!mine) return captured;
    changes.set('cache-control', this.cacheControl);
    return withHeader(captured, 'cache-control', this.cacheControl);
  }

  /** What the store said: the page (current), or nothing (outdated, or the store failed). */
  private stored(
    page: StoredPage | undefined,
    meta: PageMeta,
    raw: ServerResponse,
    location: PageLocation,
  ): void {
    const { policy, span } = this.job.exchange;
    this.settle(page);
    if (page) return;
    if (this.tag) this.edge.purgeWhenSent(raw, location);
    // A miss's new tokens last one render lease: a slower render is never stored. Said once.
    if (meta.r > RENDER_LEASE_MS) {
      this.parts.onBypass(policy, 'render-time', String(Math.round(meta.r / 1000)), span);
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
    this.stopReading();
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

/**
 * A route that varies on a header it learned is judged as one that declares it (`varies`): no
 * shared cache keeps its pages (Cloudflare ignores `Vary`).
 */
function variedJudgement(judgement: RouteJudgement, learned: boolean): RouteJudgement {
  return learned && judgement.notShared === undefined
    ? { ...judgement, notShared: 'varies' }
    : judgement;
}

/** A header's value as text (Node's `getHeader` may give a number). */
function headerText(value: string | string[] | number | undefined): string | string[] | undefined {
  return typeof value === 'number' ? String(value) : value;
}

/** Headers this render changes in the head as it is sent, beside those its decision names. */
class HeadChanges {
  private readonly headers: Record<string, string> = {};
  private readonly removed = new Set<string>();

  /** Sets a header (`undefined`: removes it). */
  set(name: string, value: string | undefined): void {
    if (value === undefined) {
      delete this.headers[name];
      this.removed.add(name);
    } else {
      this.headers[name] = value;
      this.removed.delete(name);
    }
  }

  /** The decision with these changes (its own headers and removals win). */
  into(decision: CaptureDecision | undefined): CaptureDecision | undefined {
    const dropped = new Set(decision?.remove);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.headers)) {
      if (!dropped.has(name)) headers[name] = value;
    }
    Object.assign(headers, decision?.headers);
    const remove = [...this.removed, ...dropped].filter(name => !(name in headers));
    if (Object.keys(headers).length === 0 && remove.length === 0) return decision;
    return { ...decision, headers, remove };
  }
}
