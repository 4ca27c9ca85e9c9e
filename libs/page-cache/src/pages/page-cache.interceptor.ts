import {
  Inject,
  Injectable,
  Logger,
  Optional,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { CacheStatistics } from '../cache-statistics.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { InvalidationPipeline } from '../invalidation/invalidation-pipeline.js';
import { ApplicationConfig, DiscoveryService, Reflector } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import {
  catchError,
  from,
  Observable,
  of,
  switchMap,
  tap,
  throwError,
  type Subscription,
} from 'rxjs';
import { CACHE_NAME } from '../cache.constants.js';
import type { BypassReason } from '../cache-statistics.js';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CacheService } from '../cache.service.js';
import { EdgePurger } from '../edge/edge-purger.js';
import { PageEdgeMarks } from '../edge/page-edge-marks.js';
import { InvalidatesInterceptor } from '../invalidation/invalidates.interceptor.js';
import { RENDER_LEASE_MS } from '../dependency-tracker.js';
import { CacheStore } from '../stores/cache-store.interface.js';
import { rawResponse, type AdapterResponse, type FastifyReplyLike } from './adapter-response.js';
import { routeToken } from './early/route-token.js';
import { captureResponse, type CaptureDecision, type CapturedResponse } from './fill/capture.js';
import { FillLock } from './fill/fill-lock.js';
import { SingleFlight, within } from './fill/single-flight.js';
import { pageMetaOf, rejectResponse, withoutHeader } from './fill/storability.js';
import { storePage } from './fill/store-page.js';
import {
  spellingWarning,
  unkeyedInputWarning,
  watchInputs,
  type InputRead,
} from './fill/unkeyed-inputs.js';
import { isBypass, locatePage, type PageBypass, type PageLocation } from './key/page-key.js';
import { hasBody, hostAllowed, plainTarget } from './key/request-checks.js';
import { LocalBodies } from './local-bodies.js';
import { freshness, lookupPage, type Lookup, type StoredPage } from './lookup.js';
import type { PageRequest } from './page-metadata.js';
import type { PagePolicy } from './policy/page-policy.js';
import { PolicyRegistry } from './policy/policy-registry.js';
import { judgeRoute, type RouteJudgement } from './policy/route-judgement.js';
import { writeStoredPage, type HitLabel } from './serve.js';

/** Most distinct warnings remembered (routes × reasons are bounded by code, this by memory). */
const MAX_WARNINGS = 1000;
const HANDLED = Symbol('nestjs-page-cache:handled');
/** Reads that see the request's spelling: the URL, the host, every header as sent. */
const SPELLING_READS = new Set<InputRead['kind']>(['URL', 'host', 'raw headers']);

/** One request on its way through the page cache. */
interface Exchange {
  request: PageRequest;
  response: AdapterResponse;
  raw: ServerResponse;
  next: CallHandler;
  policy: PagePolicy;
  /** What the route may skip and who may share its pages (judged once per route). */
  judgement: RouteJudgement;
  location: PageLocation;
  /** `performance.now()` when the request reached the cache, only while hits are timed. */
  startedAt?: number;
}

/**
 * The page cache. `CacheModule` installs it as a global interceptor; it acts on handlers marked
 * with `@CachePage()` (or on every GET handler in site-wide mode) and leaves the others alone.
 *
 * It is glue over the rooms of `pages/`, data flowing one way: policy (`policy/`) → key (`key/`)
 * → lookup (`lookup.ts`) → serve (`serve.ts`) | fill (`fill/`: single flight, fill lock, capture,
 * storability, store). Hit path: one store read, then the stored status, headers and body bytes
 * are written as they are. Miss path: the handler runs, the bytes it sends are captured at the
 * Node response, and stored if cacheable. The store failing or timing out never fails the
 * request: the handler answers.
 *
 * Extension points are the protected methods (subclass and provide it as `APP_INTERCEPTOR`).
 */
@Injectable()
export class PageCacheInterceptor implements NestInterceptor, OnModuleInit {
  private readonly policies: PolicyRegistry;
  private readonly fills = new SingleFlight();
  private readonly fillLock: FillLock;
  /** Bodies of pages read before, reused while their stored header is unchanged. */
  private readonly bodies: LocalBodies | undefined;
  private readonly warned = new Set<string>();
  private readonly logger = new Logger('PageCache');
  /** Routes seen on this path whose hits may be served early: route token → policy. */
  private readonly earlyRoutes = new WeakMap<object, PagePolicy>();
  /** Each route's judgement, by route token (so each is judged once). */
  private readonly judged = new WeakMap<object, RouteJudgement>();
  /**
   * Routes whose render read the request's spelling (`req.url`, the `Host` header…): their pages
   * are keyed by the request as sent, each spelling its own entry.
   */
  private readonly rawSpellings = new WeakSet<PagePolicy>();
  /** The early hit path's Fastify hook, to judge whether it is a route's last step. */
  private earlyHook?: (...args: never[]) => unknown;

  /** Where the app's global enhancers are listed (for the early path's checks). */
  @Optional()
  @Inject(ApplicationConfig)
  private readonly appConfig?: ApplicationConfig;

  /** Purges the edge cache (`pages.edge.purge`). */
  @Optional()
  @Inject(EdgePurger)
  private readonly edgePurger?: EdgePurger;

  /** Finds the app's controllers, to build every route's policy at startup. */
  @Optional()
  @Inject(DiscoveryService)
  private readonly discovery?: DiscoveryService;

  /** The cache's counters. */
  @Inject(CacheStatistics)
  private readonly statistics!: CacheStatistics;

  /** The models' generation tokens. */
  @Inject(DependencyTracker)
  private readonly tracker!: DependencyTracker;

  /** The path of invalidations, and those still pending on it. */
  @Inject(InvalidationPipeline)
  private readonly pipeline!: InvalidationPipeline;

  /** What responses are marked with for an edge cache (`pages.edge`); built on first use. */
  private edgeMarks?: PageEdgeMarks;

  constructor(
    protected readonly reflector: Reflector,
    protected readonly cache: CacheService,
    @Inject(CacheStore) protected readonly store: CacheStore,
    @Inject(CACHE_OPTIONS) protected readonly options: ResolvedCacheOptions,
    @Inject(CACHE_NAME) protected readonly cacheName: string,
    private readonly invalidates: InvalidatesInterceptor,
  ) {
    this.policies = new PolicyRegistry(reflector, options, cacheName);
    this.fillLock = new FillLock(store, options.namespace, options.pages.fillLock);
    // Only where reading a header is cheaper than reading the page: a store across a socket.
    this.bodies =
      store.getHead && options.pages.reuseBodies > 0
        ? new LocalBodies(options.pages.reuseBodies)
        : undefined;
  }

  /** Builds the policy of every GET route at startup, so none is built on a request. */
  onModuleInit(): void {
    if (this.discovery) this.policies.preload(this.discovery);
  }

  /** The edge marks (after injection: they need the app's config and the purger). */
  private get edge(): PageEdgeMarks {
    this.edgeMarks ??= new PageEdgeMarks(this.options.pages.edge, this.edgePurger, message =>
      this.warnOnce(message),
    );
    return this.edgeMarks;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PageRequest & { [HANDLED]?: true }>();
    const method = request.method;
    // Mutations go to @Invalidates. One global interceptor instead of two: each one costs every
    // request of the app a pass through Nest's interceptor chain.
    if (method !== 'GET' && method !== 'HEAD') return this.invalidates.intercept(context, next);
    if (request[HANDLED]) return next.handle();
    const policy = this.policies.get(
      context.getClass() as Type,
      context.getHandler() as (...args: never[]) => unknown,
    );
    if (!policy) return next.handle();
    request[HANDLED] = true;
    const judgement = this.judge(context, request, policy);
    // The clock is read only when someone times hits (the Prometheus integration).
    const startedAt = this.statistics.timesHits ? performance.now() : undefined;

    const response = http.getResponse<AdapterResponse>();
    const raw = rawResponse(response);
    const refused = this.refuse(policy, request);
    if (refused) return this.bypass(policy, raw, next, refused);
    const location = this.locate(policy, request);
    if (isBypass(location)) {
      if (location.advice) {
        this.warnOnce(
          `${policy.view} bypassed the cache for a request: ${location.advice}.`,
          `${policy.view}\u0000${location.bypass}`,
        );
      }
      return this.bypass(policy, raw, next, location.bypass);
    }
    const exchange: Exchange = {
      request,
      response,
      raw,
      next,
      policy,
      judgement,
      location,
      startedAt,
    };
    // A plain Observable around the lookup: the hit path runs once per request, and rxjs'
    // from() + switchMap() cost more than the lookup's own bookkeeping.
    return new Observable<unknown>(subscriber => {
      let inner: Subscription | undefined;
      let closed = false;
      this.lookup(location).then(
        found => {
          if (!closed) inner = this.respond(exchange, found).subscribe(subscriber);
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        closed = true;
        inner?.unsubscribe();
      };
    });
  }

  /** Whether this interceptor serves the pages of the named cache. */
  serves(cacheName: string): boolean {
    return this.cacheName === cacheName;
  }

  /**
   * The early hit path (installed by `CacheModule` in front of Nest's pipeline): answers a
   * request for a route already seen here, and judged safe to serve early, with its fresh stored
   * page — the same key, lookup and writer as below. Anything else (a miss, a stale page, a
   * bypass, a route not seen yet) returns `false` and goes on to Nest's pipeline.
   */
  async serveEarly(
    request: PageRequest,
    response: AdapterResponse,
    raw: ServerResponse,
  ): Promise<boolean> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const token = routeToken(request);
    const policy = token && this.earlyRoutes.get(token);
    if (!policy) return false;
    if (this.refuse(policy, request)) return false;
    const startedAt = this.statistics.timesHits ? performance.now() : undefined;
    const location = this.locate(policy, request);
    if (isBypass(location)) return false;
    const found = await this.lookup(location);
    const page = found.page;
    if (!page || freshness(page.meta, policy.earlyRefreshBeta) !== 'fresh') return false;
    if (raw.headersSent) return false;
    const { result, bytesSent } = writeStoredPage(request, response, raw, false, page, 'HIT');
    if (response !== raw) (response as FastifyReplyLike).send(result);
    this.onHit(policy, location, page, false, bytesSent, startedAt, true);
    return true;
  }

  /**
   * The early hit path's Fastify `onRequest` hook (set by `CacheModule` when it installs it): a
   * route goes early only where that hook is its last step before the handler.
   */
  useEarlyHook(hook: (...args: never[]) => unknown): void {
    this.earlyHook = hook;
  }

  /**
   * The route's one judgement (see `route-judgement.ts`), made on its first request and read by
   * the early path, the edge tags and the `Cache-Control` alike; a route nobody could tell an
   * early hit from this path is remembered for the early path.
   */
  private judge(context: ExecutionContext, request: PageRequest, policy: PagePolicy) {
    const token = routeToken(request);
    const known = token && this.judged.get(token);
    if (known) return known;
    const controller = context.getClass() as Type;
    const judgement = judgeRoute({
      policy,
      controller,
      handler: context.getHandler(),
      config: this.appConfig,
      interceptor: this,
      staticTree: this.policies.staticTree(controller),
      fastifyRoute: fastifyRouteOf(request),
      earlyHook: this.earlyHook,
    });
    if (token) {
      this.judged.set(token, judgement);
      if (judgement.notEarly === undefined) this.earlyRoutes.set(token, policy);
    }
    // Nest's host filter hands the handler the host as sent (@HostParam) before this runs, and a
    // Fastify constraint may choose the handler by the host (or a header) as sent.
    if (judgement.notShared === 'host-routing' || judgement.notShared === 'route-constraints') {
      this.rawSpellings.add(policy);
    }
    return judgement;
  }

  /**
   * Builds the key of the page a request asks for, or says why the request cannot be keyed
   * safely. Override to add inputs (call `super` and adjust the result).
   */
  protected locate(policy: PagePolicy, request: PageRequest): PageLocation | PageBypass {
    return locatePage(
      this.options.namespace,
      policy,
      request,
      this.userOf,
      this.rawSpellings.has(policy),
    );
  }

  /**
   * Decides whether a finished response may be stored; returns why not, or `undefined`.
   * Override to add rules (call `super` first).
   */
  protected rejectResponse(
    captured: CapturedResponse,
    policy: PagePolicy,
  ): BypassReason | undefined {
    return rejectResponse(captured, policy, this.options.maxEntrySize);
  }

  /**
   * Called when a request has been answered from the cache (`stale`: past its TTL, within grace).
   * `bytesSent` is the body length sent (0 for HEAD and 304 answers); `startedAt`
   * (`performance.now()` when the request reached the cache) is given only while hits are timed;
   * `early`: served before Nest's pipeline.
   */
  protected onHit(
    policy: PagePolicy,
    location: PageLocation,
    page: StoredPage,
    stale: boolean,
    bytesSent = page.body.length,
    startedAt?: number,
    early = false,
  ): void {
    const counters = this.statistics;
    counters.hit(policy.view, location.key, bytesSent, stale, early);
    if (startedAt !== undefined) counters.hitDuration(policy.view, performance.now() - startedAt);
  }

  /** Called when a request finds no usable entry and its handler runs. */
  protected onMiss(policy: PagePolicy, location: PageLocation): void {
    this.statistics.miss(policy.view, location.key);
  }

  /** Called when a request or its response is kept out of the cache, with the reason. */
  protected onBypass(policy: PagePolicy, reason: BypassReason): void {
    this.statistics.bypass(policy.view, reason);
  }

  private readonly userOf = (request: PageRequest): unknown => {
    if (this.options.user) return this.options.user(request);
    const user = request.user;
    return typeof user === 'object' && user !== null ? (user as { id?: unknown }).id : undefined;
  };

  /**
   * Why a request must not be answered from (or stored in) the cache before it is even keyed, the
   * same on the early path and here; `undefined` when it may.
   */
  private refuse(policy: PagePolicy, request: PageRequest): BypassReason | undefined {
    if (request.headers.authorization !== undefined && !policy.allowsAuthorization) {
      return 'authorization';
    }
    // Express parses bodies of GET requests too; no key covers a body.
    if (hasBody(request)) return 'body';
    // Targets routers read differently (absolute-form, `//`, `;`): no tag could find their page.
    if (!plainTarget(request.url)) return 'url';
    // A forwarded protocol a client made up (`X-Forwarded-Proto: gopher`) would be an entry each.
    const protocol = request.protocol;
    if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') return 'protocol';
    // An invalidation of a model this page depends on has not reached the store yet.
    const pending = this.pipeline.pending;
    if (pending.size > 0 && pending.affects(policy.dependsOn ?? policy.models)) {
      return 'pending-invalidation';
    }
    // A forged Host creates nothing: no entry, no index member.
    const hosts = this.options.pages.hosts;
    if (hosts && !hostAllowed(hosts, request)) return 'host';
    return undefined;
  }

  /**
   * Logs a warning the first time it is given (bounded), once per `key` (a route and a reason):
   * warnings name routes, options and inputs the code names, never a request's data.
   */
  private warnOnce(message: string, key = message): void {
    if (this.warned.has(key) || this.warned.size >= MAX_WARNINGS) return;
    this.warned.add(key);
    this.logger.warn(message);
  }

  /**
   * Sorts the inputs a render read that its key does not hold: a read of the request's spelling
   * switches the route to keys of the request as sent (and this render is not stored: its key
   * merged spellings the handler told apart); any other is reported per `pages.unkeyedInputs`.
   * @returns why this render may not be stored, if so.
   */
  private judgeReads(policy: PagePolicy, reads: InputRead[]): BypassReason | undefined {
    let rejected: BypassReason | undefined;
    const keyedAsSent = this.rawSpellings.has(policy);
    for (const read of reads) {
      if (SPELLING_READS.has(read.kind) && !keyedAsSent) {
        this.rawSpellings.add(policy);
        rejected = 'unkeyed-input';
        // The raw headers hold more than the host: their own warning says more.
        if (read.kind !== 'raw headers') {
          this.warnOnce(spellingWarning(policy.view, read), `${policy.view}\u0000spelling`);
          continue;
        }
      }
      const mode = this.options.pages.unkeyedInputs;
      if (mode === 'off') continue;
      const warning = unkeyedInputWarning(policy.view, read);
      this.warnOnce(warning);
      if (mode === 'bypass') rejected = 'unkeyed-input';
    }
    return rejected;
  }

  private lookup(location: PageLocation): Promise<Lookup> {
    return lookupPage(this.store, this.tracker, location, this.options.maxEntrySize, this.bodies);
  }

  private bypass(
    policy: PagePolicy,
    raw: ServerResponse,
    next: CallHandler,
    reason: BypassReason,
  ): Observable<unknown> {
    this.onBypass(policy, reason);
    if (!raw.headersSent) raw.setHeader('x-cache', 'BYPASS');
    this.edge.keepPrivate(raw);
    return next.handle();
  }

  private respond(exchange: Exchange, found: Lookup): Observable<unknown> {
    const { location, policy } = exchange;
    if (found.page) {
      const state = freshness(found.page.meta, policy.earlyRefreshBeta);
      const label = state === 'stale' ? 'STALE' : 'HIT';
      if (state === 'fresh' || this.fills.has(location.key)) {
        return this.serveStored(exchange, found.page, label);
      }
      return this.refresh(exchange, found.page, label);
    }
    if (!found.generations) {
      // The store failed: answer from the handler, neither reading nor writing the cache.
      this.onBypass(exchange.policy, 'store-error');
      exchange.raw.setHeader('x-cache', 'MISS');
      this.edge.keepPrivate(exchange.raw);
      return exchange.next.handle();
    }
    const pending = this.fills.get(location.key);
    if (pending) {
      // Another request of this process is rendering this page: share its response, waiting a
      // bounded time (a slow or streamed render must not hold everyone).
      return from(within(pending, this.fillLock.waitMs)).pipe(
        switchMap(page =>
          page ? this.serveStored(exchange, page, 'HIT') : this.render(exchange, undefined),
        ),
      );
    }
    return this.fill(exchange, found.generations);
  }

  /**
   * Replaces a stale (or early-refresh) page. The request that found it renders it through the
   * whole pipeline — every interceptor, serializer and filter of the app, exactly as a miss — so
   * the new entry holds the bytes a normal request receives; requests arriving meanwhile (here
   * or, through the fill lock, in other processes) get the stored page. If the handler fails, this
   * request gets the stored page too (stale-if-error).
   */
  private refresh(exchange: Exchange, stored: StoredPage, label: HitLabel): Observable<unknown> {
    const { location } = exchange;
    const done = this.fills.start(location.key);
    return from(this.fillLock.tryAcquire(location)).pipe(
      switchMap(release => {
        if (!release) {
          done.resolve(undefined);
          return this.serveStored(exchange, stored, label);
        }
        return this.render(
          exchange,
          stored.meta.g ?? [],
          page => {
            done.resolve(page);
            void release();
          },
          stored,
        );
      }),
    );
  }

  /**
   * Renders a missing page once for every request of this process that wants it, and, across
   * processes, once per fill lock: requests of other processes wait a bounded time for the entry.
   */
  private fill(exchange: Exchange, generations: string[]): Observable<unknown> {
    const { location } = exchange;
    const done = this.fills.start(location.key);
    const freshPage = async () => {
      const found = await this.lookup(location);
      return found.page && freshness(found.page.meta, 0) === 'fresh' ? found.page : undefined;
    };
    return from(this.fillLock.acquire(location, freshPage)).pipe(
      switchMap(lock => {
        if (lock.page) {
          done.resolve(lock.page);
          return this.serveStored(exchange, lock.page, 'HIT');
        }
        return this.render(exchange, generations, page => {
          done.resolve(page);
          if (lock.release) void lock.release();
        });
      }),
    );
  }

  /**
   * Runs the handler, captures what it sends, and stores it if cacheable. With `fallback` (a
   * refresh), a handler that fails before anything is sent answers with the stored page instead.
   */
  private render(
    exchange: Exchange,
    generations: string[] | undefined,
    onSettled: (page: StoredPage | undefined) => void = () => undefined,
    fallback?: StoredPage,
  ): Observable<unknown> {
    const { request, raw, next, policy, location } = exchange;
    raw.setHeader('x-cache', 'MISS');
    this.onMiss(policy, location);
    if (policy.vary.headers.length > 0) {
      // Added to a Vary the handler declared (@Header, set before interceptors run on Express).
      const own = raw.getHeader('vary');
      const vary = policy.vary.headers.join(', ');
      raw.setHeader('vary', own === undefined ? vary : `${String(own)}, ${vary}`);
    }
    if (!generations || request.method === 'HEAD') {
      if (request.method === 'HEAD') this.onBypass(policy, 'head');
      this.edge.keepPrivate(raw);
      onSettled(undefined);
      return next.handle();
    }
    const edge = this.edge;
    const { judgement } = exchange;
    const tag = edge.tagHeader(policy, judgement, location, request);
    // Only responses that are checked before they are sent get the configured Cache-Control; a
    // handler's own (@Header, set before interceptors run on Express) wins.
    const cacheControl = edge.cacheControl(policy, judgement, tag);
    if (cacheControl && !raw.hasHeader('cache-control')) {
      raw.setHeader('cache-control', cacheControl);
    }
    const started = performance.now();
    let settled = false;
    const settle = (page: StoredPage | undefined) => {
      if (settled) return;
      settled = true;
      onSettled(page);
    };
    // The request's spelling is always watched (it decides the route's key form); other inputs
    // only when pages.unkeyedInputs asks.
    let stopWatching: (() => InputRead[]) | undefined = watchInputs(request, policy, {
      rawSpellings: this.rawSpellings.has(policy),
      all: this.options.pages.unkeyedInputs !== 'off',
    });
    /** Stops recording (once) and returns the reads that are not in the key. */
    const unkeyedReads = () => {
      const stop = stopWatching;
      stopWatching = undefined;
      return stop ? stop() : [];
    };
    // A response that never ends (the client went away) must not hold the others.
    raw.once('close', () => {
      unkeyedReads();
      settle(undefined);
    });
    const release = captureResponse(raw, (captured): CaptureDecision | undefined => {
      const reads = unkeyedReads();
      const ours =
        cacheControl !== undefined && captured.headers.get('cache-control') === cacheControl;
      let rejected: BypassReason | undefined = captured.streamed
        ? 'stream'
        : this.rejectResponse(ours ? withoutHeader(captured, 'cache-control') : captured, policy);
      if (!rejected && reads.length > 0) rejected = this.judgeReads(policy, reads);
      if (rejected) {
        this.onBypass(policy, rejected);
        settle(undefined);
        // Not a cacheable page after all (a 404, a Set-Cookie, a stream…): no shared cache may
        // keep it. With an edge cache it is said so, unless the handler said otherwise (an error
        // answer, whose filter drops the headers set before, included): no purge would reach it.
        if (edge.enabled && (ours || !captured.headers.has('cache-control'))) {
          return { headers: { 'cache-control': 'private' } };
        }
        return ours ? { remove: ['cache-control'] } : undefined;
      }
      const meta = pageMetaOf(captured, policy, performance.now() - started, tag);
      // The response is held until the entry is stored (bounded by the store's command
      // timeout), so a client that has its answer finds the page cached.
      const stored = storePage(
        this.tracker,
        this.statistics,
        this.options.compressAbove,
        location,
        policy,
        meta,
        captured.body,
        generations,
      );
      return {
        headers: tag
          ? {
              etag: meta.e,
              ...Object.fromEntries(
                meta.h.filter(([name]) => name === 'vary' || name === tag.name.toLowerCase()),
              ),
            }
          : { etag: meta.e },
        wait: stored.then(page => {
          settle(page);
          if (!page && tag) edge.purgeWhenSent(raw, location);
          // Tokens created for this miss are held for one render lease: a slower render finds
          // them gone and is not stored, on every miss — said once, with the fix.
          if (!page && meta.r > RENDER_LEASE_MS) {
            this.onBypass(policy, 'render-time');
            this.warnOnce(
              `${policy.view} took ${Math.round(meta.r / 1000)} s to render, longer than the ${RENDER_LEASE_MS / 1000} s a miss holds its data's generation tokens: its pages are not stored. Make the render faster, or cache its slow part with getOrSet().`,
              `${policy.view}\u0000render-time`,
            );
          }
        }),
      };
    });
    return next.handle().pipe(
      tap(value => {
        // A stream is sent as it is read: nobody waits for it.
        if (value instanceof StreamableFile) settle(undefined);
      }),
      catchError((error: unknown) => {
        settle(undefined);
        unkeyedReads();
        if (!fallback || raw.headersSent) return throwError(() => error);
        // Stale-if-error: the refresh failed before anything was sent; answer from the entry.
        release();
        raw.removeHeader('x-cache');
        if (cacheControl && raw.getHeader('cache-control') === cacheControl) {
          raw.removeHeader('cache-control');
        }
        return this.serveStored(exchange, fallback, 'STALE');
      }),
    );
  }

  private serveStored(exchange: Exchange, page: StoredPage, label: HitLabel): Observable<unknown> {
    const { request, response, raw, policy, location, startedAt } = exchange;
    const { result, bytesSent } = writeStoredPage(
      request,
      response,
      raw,
      policy.rendered,
      page,
      label,
    );
    this.onHit(policy, location, page, label === 'STALE', bytesSent, startedAt);
    return of(result);
  }
}

/** Fastify's route context of a request (its hooks and schema), under `fastify.context`. */
function fastifyRouteOf(request: PageRequest): object | undefined {
  const symbol = Object.getOwnPropertySymbols(request).find(
    candidate => candidate.description === 'fastify.context',
  );
  if (symbol === undefined) return undefined;
  const context = (request as unknown as Record<symbol, unknown>)[symbol];
  return typeof context === 'object' && context !== null ? context : undefined;
}
