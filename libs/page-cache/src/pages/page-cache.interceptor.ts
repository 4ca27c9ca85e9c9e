import {
  Inject,
  Injectable,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { from, of, switchMap, tap, type Observable } from 'rxjs';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CacheService } from '../cache.service.js';
import { decodeEntry, encodeEntry, type PageMeta } from '../codec.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { MODEL_NAME } from '../keys.js';
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
import { locatePage, type PageLocation, type PagePolicy } from './page-key.js';

/** Why a request or response was not served from or stored in the cache. */
export type BypassReason =
  | 'authorization'
  | 'missing-id'
  | 'status'
  | 'set-cookie'
  | 'cache-control'
  | 'vary'
  | 'encoding'
  | 'stream'
  | 'size'
  | 'head'
  | 'store-error';

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
const HANDLED = Symbol('nestjs-page-cache:handled');

/** What a lookup found: the page, or the dependency tokens to store a new one with. */
interface Lookup {
  page?: StoredPage;
  /** Absent when the store failed: the page is then neither served nor stored. */
  generations?: string[];
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
  private readonly policies = new Map<unknown, PagePolicy | null>();

  constructor(
    protected readonly reflector: Reflector,
    protected readonly cache: CacheService,
    @Inject(CacheStore) protected readonly store: CacheStore,
    @Inject(CACHE_OPTIONS) protected readonly options: ResolvedCacheOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PageRequest & { [HANDLED]?: true }>();
    const method = request.method;
    if ((method !== 'GET' && method !== 'HEAD') || request[HANDLED]) return next.handle();
    const policy = this.policyFor(context);
    if (!policy) return next.handle();
    request[HANDLED] = true;

    const response = http.getResponse<AdapterResponse>();
    const raw = rawResponse(response);
    if (request.headers.authorization !== undefined && !policy.allowsAuthorization) {
      return this.bypass(raw, next, 'authorization');
    }
    const location = this.locate(policy, request);
    if (!location) return this.bypass(raw, next, 'missing-id');
    return from(this.lookup(location)).pipe(
      switchMap(found => {
        if (found.page === undefined)
          return this.serveMiss(request, raw, next, policy, location, found);
        this.onHit(location, found.page);
        return of(this.serveHit(request, response, raw, found.page));
      }),
    );
  }

  /**
   * Builds the key of the page a request asks for. Override to add inputs (call `super` and
   * adjust the result).
   */
  protected locate(policy: PagePolicy, request: PageRequest): PageLocation | undefined {
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
    const encoded = headers.has('content-encoding');
    if (encoded && !policy.vary.headers.includes('accept-encoding')) return 'encoding';
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

  /** Called when a request is answered from the cache (for subclasses and statistics). */
  protected onHit(_location: PageLocation, _page: StoredPage): void {}

  /** Called when a request or its response is not cached, with the reason. */
  protected onBypass(_reason: BypassReason): void {}

  private readonly userOf = (request: PageRequest): string | number | undefined | null => {
    if (this.options.user) return this.options.user(request);
    const user = request.user as { id?: string | number } | undefined;
    return user?.id;
  };

  private bypass(
    raw: ServerResponse,
    next: CallHandler,
    reason: BypassReason,
  ): Observable<unknown> {
    this.onBypass(reason);
    if (!raw.headersSent) raw.setHeader('x-cache', 'BYPASS');
    return next.handle();
  }

  /**
   * Reads the page and the current tokens of its dependencies in one round trip. On a miss, it
   * also makes sure every token exists before the handler reads its data, so the entry records
   * tokens that any later invalidation will replace.
   */
  private async lookup(location: PageLocation): Promise<Lookup> {
    try {
      const [bytes, current] = await Promise.all([
        this.store.get(location.key),
        this.cache.tracker.currentGenerations(location.deps),
      ]);
      this.cache.storeRecovered();
      if (bytes !== undefined) {
        const entry = decodeEntry(bytes);
        if (entry?.meta.k === 'page' && DependencyTracker.isCurrent(entry.meta.g, current)) {
          return { page: { meta: entry.meta, body: entry.payload } };
        }
      }
      if (current.every(token => token !== undefined)) {
        return { generations: current.map(token => token!.toString('latin1')) };
      }
      return { generations: await this.cache.tracker.generationsForWrite(location.deps) };
    } catch (error) {
      this.cache.storeFailed(error);
      return {};
    }
  }

  private serveHit(
    request: PageRequest,
    response: AdapterResponse,
    raw: ServerResponse,
    page: StoredPage,
  ): unknown {
    const { meta, body } = page;
    const ageSeconds = Math.max(0, Math.floor((Date.now() - meta.t) / 1000));
    const notModified = etagMatches(request.headers['if-none-match'], meta.e);
    const headers: [string, string][] = [];
    for (const header of meta.h) {
      // A 304 carries the validators and caching headers, not the description of a body.
      if (!notModified || !header[0].startsWith('content-')) headers.push(header);
    }
    headers.push(['etag', meta.e], ['x-cache', 'HIT'], ['age', String(ageSeconds)]);
    const status = notModified ? 304 : meta.s;
    if (response !== raw) {
      const reply = response as Exclude<AdapterResponse, ServerResponse>;
      reply.code(status);
      for (const [name, value] of headers) reply.header(name, value);
      // Fastify sends a Buffer as it is, and leaves the body out of HEAD and 304 answers.
      const payload = notModified ? undefined : body;
      // Nest hands the result of a @Render() handler to reply.view(): the page is rendered already.
      (reply as typeof reply & { view?: unknown }).view = function (this: typeof reply) {
        return this.send(payload);
      };
      return payload;
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
    answeredRaw.send = answered;
    answeredRaw.render = answered;
    return undefined;
  }

  private serveMiss(
    request: PageRequest,
    raw: ServerResponse,
    next: CallHandler,
    policy: PagePolicy,
    location: PageLocation,
    found: Lookup,
  ): Observable<unknown> {
    raw.setHeader('x-cache', 'MISS');
    if (this.options.pages.cacheControl)
      raw.setHeader('cache-control', this.options.pages.cacheControl);
    if (policy.vary.headers.length > 0) raw.setHeader('vary', policy.vary.headers.join(', '));
    const { generations } = found;
    if (!generations || request.method === 'HEAD') {
      this.onBypass(generations ? 'head' : 'store-error');
      return next.handle();
    }
    const started = performance.now();
    let streamed = false;
    captureResponse(raw, captured => {
      const rejected = streamed ? 'stream' : this.rejectResponse(captured, policy);
      if (rejected) {
        this.onBypass(rejected);
        return undefined;
      }
      const etag = strongEtag(captured);
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
      return {
        headers: { etag },
        wait: this.storePage(location, meta, captured.body, generations),
      };
    });
    return next.handle().pipe(
      tap(value => {
        if (value instanceof StreamableFile) streamed = true;
      }),
    );
  }

  private async storePage(
    location: PageLocation,
    meta: PageMeta,
    body: Buffer,
    generations: string[],
  ): Promise<void> {
    try {
      if (location.deps.length > 0) {
        meta.d = location.deps;
        meta.g = generations;
      }
      const bytes = encodeEntry(meta, body);
      await this.cache.tracker.write(
        location.key,
        bytes,
        meta.l,
        location.deps,
        generations,
        location.tags,
      );
    } catch (error) {
      this.cache.storeFailed(error);
    }
  }

  private policyFor(context: ExecutionContext): PagePolicy | null {
    const handler = context.getHandler();
    let policy = this.policies.get(handler);
    if (policy === undefined) {
      policy = this.buildPolicy(context);
      this.policies.set(handler, policy);
    }
    return policy;
  }

  private buildPolicy(context: ExecutionContext): PagePolicy | null {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(NO_CACHE_METADATA, targets)) return null;
    const page = this.reflector.getAllAndOverride<CachePageOptions | undefined>(
      CACHE_PAGE_METADATA,
      targets,
    );
    if (!page && !this.options.pages.global) return null;
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
    return {
      view: options.key ?? viewName(context),
      ttlMs: options.ttl === undefined ? this.options.pages.ttlMs : parseTtl(options.ttl),
      query: options.query ? new Set(options.query) : undefined,
      statuses: new Set(options.statuses ?? [200]),
      vary,
      models,
      entities: modelSpecs.flatMap(spec => spec?.entities ?? []),
      allowsAuthorization: vary.user || vary.headers.includes('authorization'),
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

function strongEtag(captured: CapturedResponse): string {
  const given = captured.headers.get('etag');
  if (typeof given === 'string' && given.startsWith('"')) return given;
  return `"${createHash('sha1').update(captured.body).digest('base64url')}"`;
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
