import {
  Inject,
  Injectable,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { ApplicationConfig, DiscoveryService, Reflector } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { Observable, of, type Subscription } from 'rxjs';
import { CacheStatistics, type BypassReason } from '../cache-statistics.js';
import { CACHE_NAME, CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CacheService } from '../cache.service.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { EdgePurger } from '../edge/edge-purger.js';
import { PageEdgeMarks } from '../edge/page-edge-marks.js';
import { InvalidationPipeline } from '../invalidation/invalidation-pipeline.js';
import { CacheStore } from '../stores/cache-store.interface.js';
import { CacheTelemetry } from '../telemetry/cache-telemetry.js';
import type { PageSpan } from '../telemetry/tracing.interface.js';
import { rawResponse, type AdapterResponse } from './adapter-response.js';
import { BypassAdvisor } from './advice/bypass-advisor.js';
import { routeToken } from './early/route-token.js';
import type { PageCacheParts, PageHit, PipelineExchange } from './exchange.js';
import type { CapturedResponse } from './fill/capture.js';
import { rejectResponse } from './fill/storability.js';
import { LearnedVary } from './key/learned-vary.js';
import { isBypass, locatePage, type PageBypass, type PageLocation } from './key/page-key.js';
import { freshness, type Lookup } from './lookup.js';
import { internalField } from './internal-field.js';
import { OnceWarnings } from './once-warnings.js';
import { PageFetcher } from './page-fetcher.js';
import { PageFiller } from './page-filler.js';
import type { PageRequest } from './page-metadata.js';
import type { PagePolicy } from './policy/page-policy.js';
import { PolicyRegistry } from './policy/policy-registry.js';
import { judgeRoute, type RouteJudgement } from './policy/route-judgement.js';

const HANDLED = Symbol('nestjs-page-cache:handled');

/**
 * The page cache. `CacheModule` installs it as a global interceptor; it acts on GET and HEAD
 * handlers marked with `@CachePage()` (or every GET handler in site-wide mode). It is glue:
 * policy → locate and lookup (`page-fetcher.ts`) → serve | fill (`page-filler.ts`). The store
 * failing never fails the request: the handler answers.
 *
 * Extension points are the protected methods (subclass and provide it as `APP_INTERCEPTOR`).
 */
@Injectable()
export class PageCacheInterceptor implements NestInterceptor, OnModuleInit {
  private readonly policies: PolicyRegistry;
  private readonly parts: PageCacheParts;
  private readonly fetcher: PageFetcher;
  private readonly filler: PageFiller;
  /** Each route's judgement, by route token. */
  private readonly judged = new WeakMap<object, RouteJudgement>();
  /** The early hit path's Fastify hook, to judge whether it is a route's last step. */
  private earlyHook?: (...args: never[]) => unknown;
  /** See `RouteFacts.idleResponseHooks`. */
  private idleResponseHooks?: () => number;
  /** `@fastify/compress` is registered (its per-route hook may follow the early one). */
  private fastifyCompress = false;
  private edgeMarks?: PageEdgeMarks;

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

  /** Spans of page requests (OpenTelemetry), while the app has registered a tracer provider. */
  @Optional()
  @Inject(CacheTelemetry)
  private readonly telemetry?: CacheTelemetry;

  constructor(
    protected readonly reflector: Reflector,
    protected readonly cache: CacheService,
    @Inject(CacheStore) protected readonly store: CacheStore,
    @Inject(CACHE_OPTIONS) protected readonly options: ResolvedCacheOptions,
    @Inject(CACHE_NAME) protected readonly cacheName: string,
    /** The cache's counters (the `onHit`/`onMiss`/`onBypass` defaults count there). */
    private readonly counters: CacheStatistics,
    tracker: DependencyTracker,
    pipeline: InvalidationPipeline,
  ) {
    this.policies = new PolicyRegistry(reflector, options, cacheName);
    const warnings = new OnceWarnings();
    const rawSpellings = new WeakSet<PagePolicy>();
    const advisor = new BypassAdvisor(warnings, rawSpellings);
    this.parts = {
      store,
      tracker,
      pending: pipeline.pending,
      counters,
      options,
      warnings,
      rawSpellings,
      learnedVary: new LearnedVary(),
      edge: () =>
        (this.edgeMarks ??= new PageEdgeMarks(options.pages.edge, this.edgePurger, warnings)),
      locate: (policy, request) => this.locate(policy, request),
      rejectResponse: (captured, policy, keyed) => this.rejectResponse(captured, policy, keyed),
      onHit: (hit, span) => {
        this.onHit(hit);
        span?.hit(hit.stale, hit.early);
      },
      onMiss: (policy, location, request, span) => {
        this.onMiss(policy, location);
        advisor.missed(policy, request);
        span?.miss();
      },
      onBypass: (policy, reason, detail, span) => {
        this.onBypass(policy, reason);
        advisor.bypassed(policy, reason, detail);
        span?.bypass(reason);
      },
    };
    this.fetcher = new PageFetcher(this.parts);
    this.filler = new PageFiller(this.parts, this.fetcher);
  }

  /** Builds the policy of every GET route at startup, so none is built on a request. */
  onModuleInit(): void {
    this.parts.tracing = this.telemetry;
    if (this.discovery) this.policies.preload(this.discovery, this.appConfig?.getGlobalPrefix());
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PageRequest & { [HANDLED]?: true }>();
    const method = request.method;
    if ((method !== 'GET' && method !== 'HEAD') || request[HANDLED]) return next.handle();
    const policy = this.policies.get(
      context.getClass() as Type,
      context.getHandler() as (...args: never[]) => unknown,
    );
    if (!policy) return next.handle();
    request[HANDLED] = true;
    const judgement = this.judge(context, request, policy);
    const startedAt = this.fetcher.clock();
    const response = http.getResponse<AdapterResponse>();
    const raw = rawResponse(response);
    const span = this.parts.tracing?.page(request, raw, policy.view);
    const location = this.fetcher.locate(policy, request);
    if (isBypass(location)) {
      return this.handler(policy, raw, next, location.bypass, location.detail, span);
    }
    const exchange: PipelineExchange = {
      request,
      response,
      raw,
      next,
      policy,
      judgement,
      location,
      startedAt,
      span,
    };
    // A plain Observable around the lookup: rxjs' from() + switchMap() cost more per hit.
    return new Observable<unknown>(subscriber => {
      let inner: Subscription | undefined;
      let closed = false;
      this.fetcher.lookup(location, span).then(
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

  /** The early hit path, installed by `CacheModule` (see `PageFetcher.serveEarly`). */
  serveEarly(
    request: PageRequest,
    response: AdapterResponse,
    raw: ServerResponse,
  ): boolean | Promise<boolean> {
    return this.fetcher.serveEarly(request, response, raw);
  }

  /** The early path's Fastify hook: a route goes early only where it is its last step. */
  useEarlyHook(
    hook: (...args: never[]) => unknown,
    fastifyCompress = false,
    idleResponseHooks?: () => number,
  ): void {
    this.earlyHook = hook;
    this.fastifyCompress = fastifyCompress;
    this.idleResponseHooks = idleResponseHooks;
  }

  /** The key of a request's page, or why it cannot be keyed safely. Override to add inputs. */
  protected locate(policy: PagePolicy, request: PageRequest): PageLocation | PageBypass {
    const { namespace, user } = this.options;
    const { rawSpellings, learnedVary } = this.parts;
    const learned = learnedVary.of(policy);
    return locatePage(namespace, policy, request, user, rawSpellings.has(policy), learned);
  }

  /**
   * Why a finished response may not be stored, or `undefined`. Override to add rules. `keyed`:
   * the request headers its key held (a `Vary` naming any other is refused).
   */
  protected rejectResponse(
    captured: CapturedResponse,
    policy: PagePolicy,
    keyed: readonly string[] = policy.vary.headers,
  ): BypassReason | undefined {
    return rejectResponse(captured, policy, this.options.maxEntrySize, keyed);
  }

  /** Called when a request has been answered from the cache (see {@link PageHit}). */
  protected onHit(hit: PageHit): void {
    const { policy, location, bytesSent, stale, early, startedAt } = hit;
    this.counters.hit(policy.view, location.key, bytesSent, stale, early);
    if (startedAt !== undefined) {
      this.counters.hitDuration(policy.view, performance.now() - startedAt);
    }
  }

  /** Called when a request finds no usable entry and its handler runs. */
  protected onMiss(policy: PagePolicy, location: PageLocation): void {
    this.counters.miss(policy.view, location.key);
  }

  /** Called when a request or its response is kept out of the cache, with the reason. */
  protected onBypass(policy: PagePolicy, reason: BypassReason): void {
    this.counters.bypass(policy.view, reason);
  }

  /** The route's one judgement, made on its first request (it may allow the early path). */
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
      fastifyCompress: this.fastifyCompress,
      idleResponseHooks: this.idleResponseHooks,
    });
    if (token) {
      this.judged.set(token, judgement);
      if (judgement.notEarly === undefined) {
        this.fetcher.allowEarly(token, policy, judgement.quietSend);
      }
    }
    // @HostParam and Fastify constraints hand the handler the host (or a header) as sent.
    if (judgement.notShared === 'host-routing' || judgement.notShared === 'route-constraints') {
      this.parts.rawSpellings.add(policy);
    }
    return judgement;
  }

  /** Serve | fill, from what the lookup found (neither when the store failed). */
  private respond(exchange: PipelineExchange, found: Lookup): Observable<unknown> {
    const { page, generations } = found;
    if (page) {
      const state = freshness(page.meta, exchange.policy.earlyRefreshBeta);
      const label = state === 'stale' ? 'STALE' : 'HIT';
      if (state === 'fresh' || this.filler.filling(exchange.location)) {
        return of(this.fetcher.serve(exchange, page, label));
      }
      return this.filler.refresh(exchange, page, label);
    }
    if (generations) return this.filler.fill(exchange, generations);
    // The store is down (or its epoch not known yet): the page is neither read nor stored.
    const { policy, raw, next, span } = exchange;
    return this.handler(policy, raw, next, 'store', undefined, span);
  }

  /** The handler answers; the cache is neither read nor written. */
  private handler(
    policy: PagePolicy,
    raw: ServerResponse,
    next: CallHandler,
    reason: BypassReason,
    detail?: string,
    span?: PageSpan,
  ): Observable<unknown> {
    this.parts.onBypass(policy, reason, detail, span);
    if (!raw.headersSent) raw.setHeader('x-cache', 'BYPASS');
    this.parts.edge().keepPrivate(raw);
    return next.handle();
  }
}

/** Fastify's route context of a request (its hooks and schema), under `fastify.context`. */
function fastifyRouteOf(request: PageRequest): object | undefined {
  const context = internalField(request, 'fastify.context');
  return typeof context === 'object' && context !== null ? context : undefined;
}
