import {
  Inject,
  Injectable,
  Logger,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  PATH_METADATA,
  RENDER_METADATA,
  SSE_METADATA,
  VERSION_METADATA,
} from '@nestjs/common/constants.js';
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { CACHE_NAME, DEFAULT_CACHE } from '../cache-name.js';
import type { BypassReason } from '../cache-statistics.js';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CacheService } from '../cache.service.js';
import { decodeEntry, encodeEntry, type PageMeta } from '../codec.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { fillLockKey, MODEL_NAME } from '../keys.js';
import { InvalidatesInterceptor } from '../invalidation/invalidates.interceptor.js';
import { CacheStore } from '../stores/cache-store.interface.js';
import { parseTtl } from '../ttl.js';
import {
  captureResponse,
  etagMatches,
  rawResponse,
  type AdapterResponse,
  type CapturedResponse,
} from './http-response.js';
import {
  CACHE_KEY_FROM_METADATA,
  CACHE_PAGE_METADATA,
  NO_CACHE_METADATA,
  VARY_ON_METADATA,
  type CachePageOptions,
  type ModelSpec,
  type PageRequest,
  type VarySpec,
} from './page-metadata.js';
import { hostnameOf } from './key/allowed-hosts.js';
import {
  isBypass,
  locatePage,
  type PageBypass,
  type PageLocation,
  type PagePolicy,
} from './page-key.js';
import { unkeyedInputWarning, watchInputs } from './unkeyed-inputs.js';

// Hop-by-hop headers (RFC 9110 §7.6.1), per-response ones, and our own.
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'date',
  'set-cookie',
  'age',
  'x-cache',
  'content-length',
]);
const UNCACHEABLE_DIRECTIVE = /(?:^|,)\s*(?:private|no-store|no-cache)\b/i;
/** Directives that let a shared cache keep a response; dropped for personalised pages. */
const SHARED_DIRECTIVE = /^(?:public|private|s-maxage=.*|proxy-revalidate)$/i;
/** Most distinct warnings remembered (views × inputs are bounded by code, this by memory). */
const MAX_WARNINGS = 1000;
/** How long a request waits for another request of this process to render its page. */
const DEFAULT_FILL_WAIT_MS = 1000;
const HANDLED = Symbol('nestjs-page-cache:handled');

/** What a lookup found: the page, or the dependency tokens to store a new one with. */
interface Lookup {
  page?: StoredPage;
  /** Absent when the store failed: the page is then neither served nor stored. */
  generations?: string[];
}

const NO_TOKENS: (Buffer | undefined)[] = [];

/** One request on its way through the page cache. */
interface Exchange {
  request: PageRequest;
  response: AdapterResponse;
  raw: ServerResponse;
  next: CallHandler;
  policy: PagePolicy;
  location: PageLocation;
  context: ExecutionContext;
  /** `performance.now()` when the request reached the cache, only while hits are timed. */
  startedAt?: number;
}

/** A page read from the store. */
interface StoredPage {
  meta: PageMeta;
  body: Buffer;
}

/**
 * The page cache. `CacheModule` installs it as a global interceptor; it acts on handlers marked
 * with `@CachePage()` (or on every GET handler in site-wide mode) and leaves the others alone.
 *
 * Hit path: one store read, then the stored status, headers and body bytes are written as they
 * are — no JSON parse of the body, no re-serialization. Miss path: the handler runs, the bytes it
 * sends are captured at the Node response, and stored if cacheable. The store failing or timing
 * out never fails the request: the handler answers.
 *
 * Extension points are the protected methods (subclass and provide it as `APP_INTERCEPTOR`).
 */
@Injectable()
export class PageCacheInterceptor implements NestInterceptor {
  /** By controller class, then handler: an inherited handler is one function in many classes. */
  private readonly policies = new WeakMap<object, Map<unknown, PagePolicy | null>>();
  /** Renders in progress in this process, by page key: the page they stored, if any. */
  private readonly fills = new Map<string, Promise<StoredPage | undefined>>();
  private readonly warned = new Set<string>();
  private readonly logger = new Logger('PageCache');

  constructor(
    protected readonly reflector: Reflector,
    protected readonly cache: CacheService,
    @Inject(CacheStore) protected readonly store: CacheStore,
    @Inject(CACHE_OPTIONS) protected readonly options: ResolvedCacheOptions,
    @Inject(CACHE_NAME) protected readonly cacheName: string,
    private readonly invalidates: InvalidatesInterceptor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PageRequest & { [HANDLED]?: true }>();
    const method = request.method;
    // Mutations go to @Invalidates. One global interceptor instead of two: each one costs every
    // request of the app a pass through Nest's interceptor chain.
    if (method !== 'GET' && method !== 'HEAD') return this.invalidates.intercept(context, next);
    if (request[HANDLED]) return next.handle();
    const policy = this.policyFor(context);
    if (!policy) return next.handle();
    request[HANDLED] = true;
    // The clock is read only when someone times hits (the Prometheus integration).
    const startedAt = this.cache.counters.timesHits ? performance.now() : undefined;

    const response = http.getResponse<AdapterResponse>();
    const raw = rawResponse(response);
    if (request.headers.authorization !== undefined && !policy.allowsAuthorization) {
      return this.bypass(policy, raw, next, 'authorization');
    }
    if (hasBody(request)) {
      // Express parses bodies of GET requests too; a body is not part of any key.
      return this.bypass(policy, raw, next, 'body');
    }
    const hosts = this.options.pages.hosts;
    if (hosts && !hostAllowed(hosts, request)) {
      // A forged Host creates nothing: no entry, no index member.
      return this.bypass(policy, raw, next, 'host');
    }
    const location = this.locate(policy, request);
    if (isBypass(location)) {
      if (location.advice) {
        this.warnOnce(`${policy.view} bypassed the cache for a request: ${location.advice}.`);
      }
      return this.bypass(policy, raw, next, location.bypass);
    }
    const exchange: Exchange = {
      request,
      response,
      raw,
      next,
      policy,
      location,
      context,
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

  /**
   * Builds the key of the page a request asks for. Override to add inputs (call `super` and
   * adjust the result).
   */
  protected locate(policy: PagePolicy, request: PageRequest): PageLocation | PageBypass {
    return locatePage(this.options.namespace, policy, request, this.userOf);
  }

  /**
   * Decides whether a finished response may be stored; returns why not, or `undefined`.
   * Override to add rules (call `super` first).
   */
  protected rejectResponse(
    captured: CapturedResponse,
    policy: PagePolicy,
  ): BypassReason | undefined {
    if (!policy.statuses.has(captured.status)) return 'status';
    if (captured.streamed) return 'stream';
    const { headers } = captured;
    if (headers.has('set-cookie')) return 'set-cookie';
    const cacheControl = headers.get('cache-control');
    if (cacheControl !== undefined && UNCACHEABLE_DIRECTIVE.test(String(cacheControl))) {
      return 'cache-control';
    }
    // The bytes captured are the ones the handler wrote: a compression middleware encodes them
    // after us, so a Content-Encoding in the head may describe bytes we never saw.
    const encoded = headers.has('content-encoding');
    if (encoded) return 'encoding';
    const vary = headers.get('vary');
    if (vary !== undefined) {
      for (const token of String(vary).toLowerCase().split(',')) {
        const name = token.trim();
        if (name === '*') return 'vary';
        if (name === '' || policy.vary.headers.includes(name)) continue;
        // Compression middlewares announce Vary: Accept-Encoding even for bodies they leave as is.
        if (name === 'accept-encoding' && !encoded) continue;
        return 'vary';
      }
    }
    if (captured.body.length > this.options.maxEntrySize) return 'size';
    return undefined;
  }

  /**
   * Called when a request has been answered from the cache (`stale`: past its TTL, within grace).
   * `bytesSent` is the body length sent (0 for HEAD and 304 answers); `startedAt`
   * (`performance.now()` when the request reached the cache) is given only while hits are timed.
   */
  protected onHit(
    policy: PagePolicy,
    location: PageLocation,
    page: StoredPage,
    stale: boolean,
    bytesSent = page.body.length,
    startedAt?: number,
  ): void {
    const counters = this.cache.counters;
    counters.hit(policy.view, location.key, bytesSent, stale);
    if (startedAt !== undefined) counters.hitDuration(policy.view, performance.now() - startedAt);
  }

  /** Called when a request finds no usable entry and its handler runs. */
  protected onMiss(policy: PagePolicy, location: PageLocation): void {
    this.cache.counters.miss(policy.view, location.key);
  }

  /** Called when a request or its response is kept out of the cache, with the reason. */
  protected onBypass(policy: PagePolicy, reason: BypassReason): void {
    this.cache.counters.bypass(policy.view, reason);
  }

  private readonly userOf = (request: PageRequest): unknown => {
    if (this.options.user) return this.options.user(request);
    const user = request.user;
    return typeof user === 'object' && user !== null ? (user as { id?: unknown }).id : undefined;
  };

  /** Logs a warning the first time it is given (bounded). */
  private warnOnce(message: string): void {
    if (this.warned.has(message) || this.warned.size >= MAX_WARNINGS) return;
    this.warned.add(message);
    this.logger.warn(message);
  }

  private bypass(
    policy: PagePolicy,
    raw: ServerResponse,
    next: CallHandler,
    reason: BypassReason,
  ): Observable<unknown> {
    this.onBypass(policy, reason);
    if (!raw.headersSent) raw.setHeader('x-cache', 'BYPASS');
    return next.handle();
  }

  private respond(exchange: Exchange, found: Lookup): Observable<unknown> {
    const { location, policy } = exchange;
    if (found.page) {
      const state = this.freshness(found.page.meta, policy.earlyRefreshBeta);
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
      return exchange.next.handle();
    }
    const pending = this.fills.get(location.key);
    if (pending) {
      // Another request of this process is rendering this page: share its response, waiting a
      // bounded time (a slow or streamed render must not hold everyone).
      return from(within(pending, this.fillWaitMs)).pipe(
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
  private refresh(
    exchange: Exchange,
    stored: StoredPage,
    label: 'HIT' | 'STALE',
  ): Observable<unknown> {
    const { location } = exchange;
    const done = this.startFill(location.key);
    return from(this.acquireFillOnce(location)).pipe(
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

  /** Registers a render of `key` in progress in this process. */
  private startFill(key: string): { resolve: (page: StoredPage | undefined) => void } {
    const done = deferred<StoredPage | undefined>();
    this.fills.set(key, done.promise);
    void done.promise.then(() => {
      if (this.fills.get(key) === done.promise) this.fills.delete(key);
    });
    return done;
  }

  private get fillWaitMs(): number {
    const lock = this.options.pages.fillLock;
    return lock ? lock.waitMs : DEFAULT_FILL_WAIT_MS;
  }

  /** Whether a stored page is fresh, past its TTL but within grace, or due an early refresh. */
  private freshness(meta: PageMeta, beta: number): 'fresh' | 'stale' | 'early' {
    if (meta.l === 0) return 'fresh';
    const expiresAt = meta.t + meta.l;
    const now = Date.now();
    if (now >= expiresAt) return 'stale';
    // XFetch (Vattani et al. 2015): refresh early with a probability that rises as expiry nears
    // and with the time the page takes to render.
    if (beta > 0 && now - meta.r * beta * Math.log(Math.random()) >= expiresAt) return 'early';
    return 'fresh';
  }

  /**
   * Renders a missing page once for every request of this process that wants it, and, across
   * processes, once per fill lock: requests of other processes wait a bounded time for the entry.
   */
  private fill(exchange: Exchange, generations: string[]): Observable<unknown> {
    const { location } = exchange;
    const done = this.startFill(location.key);
    return from(this.acquireFill(location)).pipe(
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

  /** Takes the fill lock, or waits (bounded) for the process holding it to store the page. */
  private async acquireFill(
    location: PageLocation,
  ): Promise<{ release?: () => Promise<unknown>; page?: StoredPage }> {
    const settings = this.options.pages.fillLock;
    if (!settings) return {};
    const key = fillLockKey(this.options.namespace, location.key);
    const token = Buffer.from(randomBytes(12).toString('base64url'));
    const release = () => this.store.deleteIfEquals(key, token).catch(() => false);
    const deadline = Date.now() + settings.waitMs;
    let pause = 10;
    for (;;) {
      try {
        if (await this.store.set(key, token, settings.ttlMs, { onlyIfAbsent: true })) {
          // The holder before us may have stored the page and released the lock since our
          // lookup: look once more before rendering it again.
          const found = await this.lookup(location);
          if (found.page && this.freshness(found.page.meta, 0) === 'fresh') {
            void release();
            return { page: found.page };
          }
          return { release };
        }
      } catch {
        return {};
      }
      if (Date.now() >= deadline) return {};
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, 50);
      const found = await this.lookup(location);
      if (found.page && this.freshness(found.page.meta, 0) === 'fresh') {
        return { page: found.page };
      }
    }
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
      onSettled(undefined);
      return next.handle();
    }
    // Only responses that are checked before they are sent get the configured Cache-Control; a
    // handler's own (@Header, set before interceptors run on Express) wins.
    const { cacheControl } = policy;
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
    const mode = this.options.pages.unkeyedInputs;
    let stopWatching = mode === 'off' ? undefined : watchInputs(request, policy);
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
    const release = captureResponse(raw, captured => {
      const reads = unkeyedReads();
      const ours =
        cacheControl !== undefined && captured.headers.get('cache-control') === cacheControl;
      let rejected: BypassReason | undefined = captured.streamed
        ? 'stream'
        : this.rejectResponse(ours ? withoutHeader(captured, 'cache-control') : captured, policy);
      if (!rejected && reads.length > 0) {
        for (const read of reads) this.warnOnce(unkeyedInputWarning(policy.view, read));
        if (mode === 'bypass') rejected = 'unkeyed-input';
      }
      if (rejected) {
        this.onBypass(policy, rejected);
        settle(undefined);
        // Not a cacheable page after all (a 404, a Set-Cookie, a stream…): no shared cache may
        // keep it.
        return ours ? { remove: ['cache-control'] } : undefined;
      }
      const etag = strongEtag(captured.headers.get('etag'), captured.body);
      const meta: PageMeta = {
        k: 'page',
        s: captured.status,
        h: storedHeaders(captured),
        e: etag,
        t: Date.now(),
        l: policy.ttlMs,
        r: Math.round(performance.now() - started),
      };
      // The response is held until the entry is stored (bounded by the store's command
      // timeout), so a client that has its answer finds the page cached.
      const stored = this.storePage(location, policy, meta, captured.body, generations);
      return { headers: { etag }, wait: stored.then(settle) };
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

  /** Takes the fill lock without waiting; returns its release, or nothing if it is held. */
  private async acquireFillOnce(
    location: PageLocation,
  ): Promise<(() => Promise<unknown>) | undefined> {
    const settings = this.options.pages.fillLock;
    if (!settings) return () => Promise.resolve();
    const key = fillLockKey(this.options.namespace, location.key);
    const token = Buffer.from(randomBytes(12).toString('base64url'));
    try {
      if (!(await this.store.set(key, token, settings.ttlMs, { onlyIfAbsent: true })))
        return undefined;
    } catch {
      return undefined;
    }
    return () => this.store.deleteIfEquals(key, token).catch(() => false);
  }

  /**
   * Reads the page and the current tokens of its dependencies in one round trip. On a miss, it
   * also makes sure every token exists before the handler reads its data, so the entry records
   * tokens that any later invalidation will replace.
   */
  private async lookup(location: PageLocation): Promise<Lookup> {
    try {
      // Pages without dependencies (the common case) cost exactly one store read.
      const [bytes, current] =
        location.deps.length === 0
          ? [await this.store.get(location.key), NO_TOKENS]
          : await Promise.all([
              this.store.get(location.key),
              this.cache.tracker.currentGenerations(location.deps),
            ]);
      if (bytes !== undefined) {
        const entry = decodeEntry(bytes, this.options.maxEntrySize);
        if (entry?.meta.k === 'page') {
          if (DependencyTracker.isCurrent(entry.meta.g, current)) {
            return { page: { meta: entry.meta, body: entry.payload } };
          }
        } else {
          // Foreign, corrupt or older-format bytes under our key: a miss, and removed.
          this.store.delete([location.key]).catch(() => undefined);
        }
      }
      if (current.every(token => token !== undefined)) {
        return { generations: current.map(token => token!.toString('latin1')) };
      }
      return { generations: await this.cache.tracker.generationsForWrite(location.deps) };
    } catch {
      return {};
    }
  }

  private serveStored(
    exchange: Exchange,
    page: StoredPage,
    label: 'HIT' | 'STALE',
  ): Observable<unknown> {
    const { policy, location, startedAt } = exchange;
    const { result, bytesSent } = this.writeStored(exchange, page, label);
    this.onHit(policy, location, page, label === 'STALE', bytesSent, startedAt);
    return of(result);
  }

  /** Writes a stored page; returns what Nest must be given, and the body bytes sent. */
  private writeStored(
    exchange: Exchange,
    page: StoredPage,
    label: 'HIT' | 'STALE',
  ): { result: unknown; bytesSent: number } {
    const { request, response, raw, policy } = exchange;
    const { meta, body } = page;
    const ageSeconds = Math.max(0, Math.floor((Date.now() - meta.t) / 1000));
    // Preconditions apply to 2xx pages only (RFC 9110 §13.2.1): a stored 404 is never a 304.
    const notModified =
      meta.s >= 200 && meta.s < 300 && etagMatches(request.headers['if-none-match'], meta.e);
    const headers: [string, string][] = [];
    for (const header of meta.h) {
      // A 304 carries the validators and caching headers, not the description of a body.
      if (!notModified || !header[0].startsWith('content-')) headers.push(header);
    }
    headers.push(['etag', meta.e], ['x-cache', label], ['age', String(ageSeconds)]);
    const status = notModified ? 304 : meta.s;
    // HEAD and 304 answers carry no body.
    const bytesSent = notModified || request.method === 'HEAD' ? 0 : body.length;
    if (response !== raw) {
      const reply = response as Exclude<AdapterResponse, ServerResponse>;
      reply.code(status);
      for (const [name, value] of headers) reply.header(name, value);
      // Fastify sends a Buffer as it is, and leaves the body out of HEAD and 304 answers.
      const payload = notModified ? undefined : body;
      if (policy.rendered) {
        // Nest hands a @Render() handler's result to reply.view(): the page is rendered already.
        (reply as typeof reply & { view?: unknown }).view = function (this: typeof reply) {
          return this.send(payload);
        };
      }
      return { result: payload, bytesSent };
    }
    const flat: string[] = [];
    for (const [name, value] of headers) flat.push(name, value);
    if (!notModified) flat.push('content-length', String(body.length));
    raw.writeHead(status, flat);
    if (notModified || request.method === 'HEAD') raw.end();
    else raw.end(body);
    // Nest then replies to `undefined` with Express's res.send() (or, for a @Render() handler,
    // res.render(), which would run the template), whose header work would fail on an answered
    // response: on this response they have nothing left to do.
    const answeredRaw = raw as ServerResponse & { send?: () => unknown; render?: () => unknown };
    if (policy.rendered) answeredRaw.render = answered;
    else answeredRaw.send = answered;
    return { result: undefined, bytesSent };
  }

  private async storePage(
    location: PageLocation,
    policy: PagePolicy,
    meta: PageMeta,
    body: Buffer,
    generations: string[],
  ): Promise<StoredPage | undefined> {
    try {
      if (location.deps.length > 0) {
        meta.d = location.deps;
        meta.g = generations;
      }
      const bytes = encodeEntry(meta, body, this.options.compressAbove);
      // Past its TTL a page stays stored for the grace period, to be served stale while refreshed.
      const keepMs = meta.l === 0 ? 0 : meta.l + policy.graceMs;
      const current = await this.cache.tracker.write(
        location.key,
        bytes,
        keepMs,
        location.deps,
        generations,
        location.tags,
      );
      if (!current) return undefined;
      this.cache.counters.write(policy.view, location.key, body.length);
      return { meta, body };
    } catch {
      return undefined;
    }
  }

  private policyFor(context: ExecutionContext): PagePolicy | null {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.policies.get(controller);
    if (!byHandler) {
      byHandler = new Map();
      this.policies.set(controller, byHandler);
    }
    let policy = byHandler.get(handler);
    if (policy === undefined) {
      policy = this.buildPolicy(context);
      byHandler.set(handler, policy);
    }
    return policy;
  }

  private buildPolicy(context: ExecutionContext): PagePolicy | null {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(NO_CACHE_METADATA, targets)) return null;
    // Server-sent events never end: they are never cached, in any mode.
    if (this.reflector.get<boolean | undefined>(SSE_METADATA, context.getHandler())) return null;
    const page = this.reflector.getAllAndOverride<CachePageOptions | undefined>(
      CACHE_PAGE_METADATA,
      targets,
    );
    if (!page && !this.options.pages.global) return null;
    // Every cache registers this interceptor; each one handles the pages that name it.
    // (Site-wide mode applies to undecorated handlers in whichever cache enables it.)
    if (page && (page.cache ?? DEFAULT_CACHE) !== this.cacheName) return null;
    const options = page ?? {};
    const varySpecs = [
      ...((Reflect.getMetadata(VARY_ON_METADATA, context.getClass()) as VarySpec[] | undefined) ??
        []),
      ...((Reflect.getMetadata(VARY_ON_METADATA, context.getHandler()) as VarySpec[] | undefined) ??
        []),
    ];
    const vary: VarySpec = {
      headers: unique(varySpecs.flatMap(spec => spec.headers)),
      cookies: unique(varySpecs.flatMap(spec => spec.cookies)),
      query: unique(varySpecs.flatMap(spec => spec.query)),
      user: varySpecs.some(spec => spec.user),
      functions: varySpecs.flatMap(spec => spec.functions),
    };
    const modelSpecs = this.reflector.getAll<(ModelSpec | undefined)[]>(
      CACHE_KEY_FROM_METADATA,
      targets,
    );
    const models = unique([
      ...this.options.defaultModels,
      ...modelSpecs.flatMap(spec => spec?.models ?? []),
    ]).sort();
    const personalised =
      vary.user ||
      vary.cookies.length > 0 ||
      vary.functions.length > 0 ||
      vary.headers.includes('authorization') ||
      vary.headers.includes('cookie');
    const { cacheControl } = this.options.pages;
    const controller = context.getClass();
    const handler = context.getHandler();
    return {
      view: options.key ?? viewName(context),
      // Two controllers of one name (API versions in two folders) must not share entries.
      route: JSON.stringify([
        controller.name,
        Reflect.getMetadata(PATH_METADATA, controller) ?? null,
        Reflect.getMetadata(VERSION_METADATA, controller) ?? null,
        handler.name,
        Reflect.getMetadata(PATH_METADATA, handler) ?? null,
        Reflect.getMetadata(VERSION_METADATA, handler) ?? null,
      ]),
      personalised,
      cacheControl:
        cacheControl !== undefined && personalised
          ? privateCacheControl(cacheControl)
          : cacheControl,
      ttlMs: options.ttl === undefined ? this.options.pages.ttlMs : parseTtl(options.ttl),
      query: options.query ? new Set(options.query) : undefined,
      statuses: new Set(options.statuses ?? [200]),
      vary,
      models,
      entities: modelSpecs.flatMap(spec => spec?.entities ?? []),
      allowsAuthorization: vary.user || vary.headers.includes('authorization'),
      graceMs: options.grace === undefined ? this.options.pages.graceMs : parseTtl(options.grace),
      earlyRefreshBeta: options.earlyRefresh?.beta ?? this.options.pages.earlyRefreshBeta,
      rendered:
        this.reflector.get<string | undefined>(RENDER_METADATA, context.getHandler()) !== undefined,
    };
  }
}

function answered(this: ServerResponse): ServerResponse {
  return this;
}

function viewName(context: ExecutionContext): string {
  const name = `${context.getClass().name}.${context.getHandler().name}`;
  return MODEL_NAME.test(name) ? name : name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** The handler's own strong ETag, or one computed from the body (once, when stored). */
function strongEtag(given: string | string[] | undefined, body: Buffer): string {
  if (typeof given === 'string' && given.startsWith('"')) return given;
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * A `Cache-Control` for a personalised page: what shared caches may keep (`public`, `s-maxage`,
 * `proxy-revalidate`) is dropped and `private` added, so a CDN never stores one user's page.
 */
export function privateCacheControl(value: string): string {
  const kept = value
    .split(',')
    .map(directive => directive.trim())
    .filter(directive => directive !== '' && !SHARED_DIRECTIVE.test(directive));
  return ['private', ...kept].join(', ');
}

/** The captured response without one header (our own Cache-Control is not the handler's word). */
function withoutHeader(captured: CapturedResponse, name: string): CapturedResponse {
  const headers = new Map(captured.headers);
  headers.delete(name);
  return { ...captured, headers };
}

/** Whether a request carries a body (which no key covers). */
function hasBody(request: PageRequest): boolean {
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

/**
 * `pages.hosts` applied to the host the framework reports and to the `Host` header itself, whose
 * port must be digits (both adapters cut `example.com:@evil.test` at the colon).
 */
function hostAllowed(
  allowed: (hostname: string | undefined) => boolean,
  request: PageRequest,
): boolean {
  const header = request.headers.host;
  if (typeof header !== 'string' || !VALID_HOST.test(header)) return false;
  if (!allowed(hostnameOf(header))) return false;
  return request.hostname === undefined || allowed(request.hostname);
}

/** `name`, `name:port`, `[v6]`, `[v6]:port`. */
const VALID_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** `promise`'s value, or `undefined` if it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then(value => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => (resolve = r));
  return { promise, resolve };
}

function storedHeaders(captured: CapturedResponse): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of captured.headers) {
    if (NOT_STORED.has(name) || name === 'etag') continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, value]);
  }
  return out;
}
