import type { ServerResponse } from 'node:http';
import type { BypassReason } from '../cache-statistics.js';
import type { AdapterResponse, FastifyReplyLike } from './adapter-response.js';
import { mayWriteDirect } from './early/direct-reply.js';
import { routeToken } from './early/route-token.js';
import type { Exchange, PageCacheParts } from './exchange.js';
import { isBypass, type PageBypass, type PageLocation } from './key/page-key.js';
import { hasBody, hostAllowed, plainTarget, refusesIdentity } from './key/request-checks.js';
import { LocalBodies } from './local-bodies.js';
import { freshness, lookupPage, lookupPageNow, type Lookup } from './lookup.js';
import type { PageRequest } from './page-metadata.js';
import type { PagePolicy } from './policy/page-policy.js';
import { writeStoredPage, type HitLabel } from './serve.js';
import type { StoredPage } from './stored-page.js';
import { ATTRIBUTES, SPANS } from '../telemetry/telemetry-names.js';
import type { PageSpan, TraceAttributes } from '../telemetry/tracing.interface.js';

/**
 * The fetch half of the page cache (Django's `FetchFromCacheMiddleware`): refuse → locate →
 * lookup → serve; it never renders or stores. The interceptor and the early hit path both go
 * through it, so a hit is the same on both.
 */
export class PageFetcher {
  /** Bodies of pages read before, reused while their stored header is unchanged. */
  private readonly bodies: LocalBodies | undefined;
  /** Routes whose hits may be served early, by route token (judged on Nest's path first). */
  private readonly earlyRoutes = new WeakMap<object, EarlyRoute>();

  constructor(private readonly parts: PageCacheParts) {
    const reuse = parts.options.pages.reuseBodies;
    // Only where reading a header is cheaper than reading the page: a store across a socket.
    this.bodies = parts.store.getHead && reuse > 0 ? new LocalBodies(reuse) : undefined;
  }

  /** `performance.now()`, read only while someone times hits (the Prometheus integration). */
  clock(): number | undefined {
    return this.parts.counters.timesHits ? performance.now() : undefined;
  }

  /** Lets the early hit path serve the route of `token` (judged safe on Nest's path). */
  allowEarly(token: object, policy: PagePolicy, quietSend = false): void {
    this.earlyRoutes.set(token, { policy, quietSend });
  }

  /** Refuse → locate (a bypass is counted, and said, where Nest's path answers it). */
  locate(policy: PagePolicy, request: PageRequest): PageLocation | PageBypass {
    const refused = this.refuse(policy, request);
    if (refused) return { bypass: refused };
    return this.parts.locate(policy, request);
  }

  /** Lookup (see `lookupPage`), in a `page_cache.lookup` span of `span`; never rejects. */
  lookup(location: PageLocation, span?: PageSpan): Promise<Lookup> {
    const { store, tracker, options } = this.parts;
    if (span === undefined) {
      return lookupPage(store, tracker, location, options.maxEntrySize, this.bodies);
    }
    span.located(location.key);
    const read = () => lookupPage(store, tracker, location, options.maxEntrySize, this.bodies);
    return span.child(SPANS.lookup, read, lookupAttributes);
  }

  /** The stored page while it is fresh (what a request waiting on another's fill may serve). */
  async freshPage(location: PageLocation): Promise<StoredPage | undefined> {
    const found = await this.lookup(location);
    return found.page && freshness(found.page.meta, 0) === 'fresh' ? found.page : undefined;
  }

  /**
   * Serve: writes a stored page to the response and counts the hit.
   * @returns what Nest must be given as the handler's result.
   */
  serve(exchange: Exchange, page: StoredPage, label: HitLabel, early = false): unknown {
    const { request, response, raw, policy, location, startedAt, span } = exchange;
    const after = early ? 'nothing' : policy.rendered ? 'render' : 'send';
    const { result, bytesSent } = writeStoredPage(request, response, raw, after, page, label);
    const stale = label === 'STALE';
    this.parts.onHit({ policy, location, page, stale, bytesSent, startedAt, early }, span);
    return result;
  }

  /**
   * The early hit path's whole work: a fresh stored page of a route judged safe to serve early on
   * Nest's path; anything else is `false`, and goes on to Nest's pipeline. A page held in process
   * memory (the memory store, a near copy) is served before this returns (`true`); otherwise the
   * store is asked, and the promise tells.
   */
  serveEarly(
    request: PageRequest,
    response: AdapterResponse,
    raw: ServerResponse,
  ): boolean | Promise<boolean> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const token = routeToken(request);
    const route = token && this.earlyRoutes.get(token);
    if (!route) return false;
    const { policy, quietSend } = route;
    const startedAt = this.clock();
    // Nest's path goes on with this span when the early path declines the request.
    const span = this.parts.tracing?.page(request, raw, policy.view);
    const location = this.locate(policy, request);
    if (isBypass(location)) return false;
    const exchange = { request, response, raw, policy, location, startedAt, span };
    if (span === undefined) {
      const { store, tracker, options } = this.parts;
      const now = lookupPageNow(store, tracker, location, options.maxEntrySize);
      if (now !== undefined) return this.serveFound(exchange, now, quietSend);
    }
    return this.lookup(location, span).then(found => this.serveFound(exchange, found, quietSend));
  }

  /** Serves what an early lookup found if it is a fresh page; `false` otherwise. */
  private serveFound(exchange: Exchange, { page }: Lookup, quietSend: boolean): boolean {
    if (!page || freshness(page.meta, exchange.policy.earlyRefreshBeta) !== 'fresh') return false;
    if (exchange.raw.headersSent) return false;
    const { response, raw } = exchange;
    if (response === raw) {
      this.serve(exchange, page, 'HIT', true);
      return true;
    }
    const reply = response as FastifyReplyLike;
    if (quietSend && mayWriteDirect(reply, page)) {
      exchange.response = raw;
      this.serve(exchange, page, 'HIT', true);
      reply.hijack!();
      return true;
    }
    reply.send(this.serve(exchange, page, 'HIT', true));
    return true;
  }

  /** Why a request must not be answered from (or stored in) the cache before it is even keyed. */
  private refuse(policy: PagePolicy, request: PageRequest): BypassReason | undefined {
    if (request.headers.authorization !== undefined && !policy.allowsAuthorization) {
      return 'authorization';
    }
    // Express parses bodies of GET requests too; no key covers a body.
    if (hasBody(request)) return 'body';
    // Pages are stored unencoded: a client that refuses that gets what the handler sends it.
    if (refusesIdentity(request.headers['accept-encoding'])) return 'accept-encoding';
    // Targets routers read differently (absolute-form, `//`, `;`): no tag could find their page.
    if (!plainTarget(request.url)) return 'url';
    // A forwarded protocol a client made up (`X-Forwarded-Proto: gopher`) would be an entry each,
    // whatever an overridden `locate()` keys.
    const protocol = request.protocol;
    if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') return 'protocol';
    // An invalidation of a model this page depends on has not reached the store yet.
    const pending = this.parts.pending;
    if (pending.size > 0 && pending.affects(policy.dependsOn ?? policy.models)) {
      return 'pending-invalidation';
    }
    // A forged Host creates nothing: no entry, no index member.
    const hosts = this.parts.options.pages.hosts;
    if (hosts && !hostAllowed(hosts, request)) return 'host';
    return undefined;
  }
}

/** A route allowed on the early path (see `RouteJudgement`). */
interface EarlyRoute {
  policy: PagePolicy;
  quietSend: boolean;
}

/** What a lookup found: a current page, none (a miss), or nothing at all (the store failed). */
function lookupAttributes(found: Lookup): TraceAttributes {
  const result = found.page ? 'found' : found.generations ? 'missing' : 'unavailable';
  return { [ATTRIBUTES.lookupResult]: result };
}
