import type { Ttl } from '../ttl.js';
import type { ModelRef } from './model-ref.interface.js';

/** A request as both HTTP adapters hand it to handlers (Express `Request`, Fastify `FastifyRequest`). */
export interface PageRequest {
  method: string;
  /** The request target as received (path and query, undecoded). */
  url: string;
  /** Express: the URL before any middleware rewrote `url`. */
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  /** Route parameters as the router decoded them. */
  params?: Record<string, string | undefined>;
  /**
   * The query as the adapter's parser read it: values are strings, lists of them, or nested
   * objects, depending on the parser, so it is `any`: `req => req.query.preview === '1'` compiles.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query?: any;
  /** Cookies parsed by a cookie middleware (`cookie-parser`, `@fastify/cookie`), if one runs. */
  cookies?: Record<string, unknown>;
  /** Host (with port) as the framework reports it: `X-Forwarded-Host` when a proxy is trusted. */
  host?: string;
  /** Host without port, as the framework reports it. */
  hostname?: string;
  /** `http` or `https`, as the framework reports it (trust-proxy aware). */
  protocol?: string;
  /** The client's address, as the framework reports it (trust-proxy aware). */
  ip?: string;
  /**
   * The principal an authentication middleware or guard set (Passport's `req.user`). Its shape is
   * the app's, so it is `any`: `req => req.user?.userId` compiles without a cast.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  user?: any;
}

/** Options of `@CachePage()`. */
export interface CachePageOptions {
  /** Lifetime of the page (ms or `'5m'`…; `0` = until invalidated). Default: `pages.ttl`, else `ttl`. */
  ttl?: Ttl;
  /** Key prefix of the view (letters, digits, `_ . -`). Default `ControllerName.methodName`. */
  key?: string;
  /**
   * Query parameters that select a variant; the others are left out of the key. Default: the
   * whole query string as sent, unsorted (`?a=1&b=2` and `?b=2&a=1` are two entries), with only
   * the escapes of letters, digits, `-`, `_` and `~` decoded.
   */
  query?: readonly string[];
  /** Status codes that are stored. Default `[200]`. */
  statuses?: readonly number[];
  /** Serve the page this long past its TTL while one request refreshes it. Default: `pages.grace`. */
  grace?: Ttl;
  /** Refresh before expiry with XFetch; see `pages.earlyRefresh`. */
  earlyRefresh?: { beta: number };
  /** The named cache to store the page in (`CacheModule.forRoot({ name })`). Default: the default one. */
  cache?: string;
  /**
   * Serve this page's hits before Nest's pipeline even if global interceptors run before the page
   * cache (`true`: they no longer see its hits), or never (`false`). Default: `pages.early`.
   */
  early?: boolean;
}

/** What a page varies on besides its path and query. */
export interface VaryOnOptions {
  /** Request headers (case-insensitive); also listed in the response's `Vary`. */
  headers?: readonly string[];
  /** Cookie names. */
  cookies?: readonly string[];
  /** Query parameters (useful with `@CachePage({ query: [] })`). */
  query?: readonly string[];
  /** The authenticated principal (`req.user.id`, or the module's `user` function). */
  user?: boolean;
}

/**
 * Computes a variant from the request: each distinct result (`true`, `false`, `'1'`, `1` and
 * `undefined`/`null` are all distinct) gets its own entry. An object or array result, or a throw,
 * makes the request bypass the cache.
 */
export type VaryFunction = (request: PageRequest) => string | number | boolean | undefined | null;

/** The entity id of a `{ model, id }` dependency: a route parameter name, or a function. */
export type EntityIdSource =
  string | ((request: PageRequest) => string | number | undefined | null);

/**
 * Turns the id read from the request into the id your events carry (`Number` for numeric keys):
 * `/posts/07` then depends on `Post/7`. A result that is not a non-empty string or a finite number
 * makes the request bypass the cache.
 */
export type EntityIdParser = (raw: string) => string | number | bigint | undefined | null;

/** One entity a page is built from. */
export interface PageEntity {
  model: ModelRef;
  /**
   * A route parameter name, exactly as the route spells it (one that is no parameter of the route
   * fails the app's start), or `(req) => id`.
   */
  id: EntityIdSource;
  /** How the id is read; see {@link EntityIdParser}. */
  parse?: EntityIdParser;
}

/** A model a page is built from: the whole model, or one entity of it. */
export type PageModel = ModelRef | PageEntity;
