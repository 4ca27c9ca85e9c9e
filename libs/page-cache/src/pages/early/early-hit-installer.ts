import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CACHE_NAME, CACHE_OPTIONS } from '../../cache.constants.js';
import type { ResolvedCacheOptions } from '../../cache.options.js';
import type { FastifyReplyLike } from '../adapter-response.js';
import { PageCacheInterceptor } from '../page-cache.interceptor.js';
import type { PageRequest } from '../page-metadata.js';

type Next = (error?: unknown) => void;
type Handle = (request: IncomingMessage, response: ServerResponse, next: Next) => unknown;
interface ExpressLayer {
  method?: string;
  handle: Handle;
  route?: { stack: ExpressLayer[] };
}

/**
 * Installs the early hit path once the routes are registered: on Express, in front of the handler
 * of every GET route (after every middleware, once the router has chosen the route and its
 * parameters); on Fastify, as an `onRequest` hook (after Nest's middleware and plugins' hooks,
 * once Fastify has routed the request). A hit is written there; anything else goes on to Nest's
 * pipeline as before.
 */
@Injectable()
export class EarlyHitInstaller implements OnModuleInit {
  private readonly logger = new Logger('PageCache');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ApplicationConfig,
    @Inject(CACHE_NAME) private readonly cacheName: string,
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {}

  onModuleInit(): void {
    if (this.options.pages.early === false) return;
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const interceptor = this.config
      .getGlobalInterceptors()
      .find(
        (candidate): candidate is PageCacheInterceptor =>
          candidate instanceof PageCacheInterceptor && candidate.serves(this.cacheName),
      );
    if (!interceptor) return;
    const type = adapter.getType();
    if (type === 'express') this.installOnExpress(adapter.getInstance(), interceptor);
    else if (type === 'fastify') this.installOnFastify(adapter.getInstance(), interceptor);
  }

  private installOnExpress(app: unknown, interceptor: PageCacheInterceptor): void {
    const router =
      (app as { router?: { stack: ExpressLayer[] }; _router?: { stack: ExpressLayer[] } }).router ??
      (app as { _router?: { stack: ExpressLayer[] } })._router;
    if (!router || !Array.isArray(router.stack)) {
      this.logger.warn(
        'The early hit path could not find the Express router: hits go through Nest.',
      );
      return;
    }
    for (const layer of router.stack) {
      for (const routeLayer of layer.route?.stack ?? []) {
        if (routeLayer.method !== 'get') continue;
        const original = routeLayer.handle;
        // Three parameters, as Express tells request handlers from error handlers by arity.
        routeLayer.handle = function earlyHit(request, response, next) {
          interceptor.serveEarly(request as unknown as PageRequest, response, response).then(
            served => {
              if (!served) original(request, response, next);
            },
            () => original(request, response, next),
          );
        };
      }
    }
  }

  private installOnFastify(app: unknown, interceptor: PageCacheInterceptor): void {
    const fastify = app as {
      addHook(
        name: 'onRequest',
        hook: (request: PageRequest, reply: FastifyReplyLike) => Promise<unknown>,
      ): void;
    };
    // Per Fastify route context: whether this hook is the last step before the handler.
    const last = new WeakMap<object, boolean>();
    const earlyHit = async (request: PageRequest, reply: FastifyReplyLike): Promise<unknown> => {
      if (!lastHookOf(request, earlyHit, last)) return undefined;
      const served = await interceptor.serveEarly(request, reply, reply.raw).catch(() => false);
      // A sent reply ends the hooks: Nest's handler does not run.
      return served ? reply : undefined;
    };
    // Fastify keeps a bound copy, named after the function: a name no other hook has (one early
    // hook per page cache) tells this one apart.
    Object.defineProperty(earlyHit, 'name', {
      value: `nestjsPageCacheEarlyHit${++installed}:${this.cacheName}`,
    });
    fastify.addHook('onRequest', earlyHit);
  }
}

/** Early hooks installed in this process (each gets a name of its own). */
let installed = 0;

/** Hooks of a Fastify route that run after `onRequest` and before the handler. */
const LATER_HOOKS = ['preParsing', 'preValidation', 'preHandler'] as const;

/**
 * Whether the early hit is the last step of the request's Fastify route before its handler: no
 * `onRequest` hook registered after it, no `preParsing`/`preValidation`/`preHandler` hook, and no
 * schema (Fastify validates, and coerces the query, after `onRequest`). Apps check access in
 * such hooks and schemas too (not only in Nest guards); answering before them would skip them.
 * Routes with them are served by the interceptor, after every hook.
 */
function lastHookOf(
  request: PageRequest,
  hook: (...args: never[]) => unknown,
  judged: WeakMap<object, boolean>,
): boolean {
  const context = routeContextOf(request);
  if (context === undefined) return false;
  let last = judged.get(context);
  if (last === undefined) {
    const hooks = context as Record<string, unknown[] | null | undefined>;
    const onRequest = hooks.onRequest;
    // Fastify keeps hooks bound to their instance: a bound copy is named after the original.
    const final = Array.isArray(onRequest) ? onRequest[onRequest.length - 1] : undefined;
    last =
      (final === hook || (typeof final === 'function' && final.name === `bound ${hook.name}`)) &&
      LATER_HOOKS.every(name => !hooks[name]?.length) &&
      !(request as { routeOptions?: { schema?: unknown } }).routeOptions?.schema;
    judged.set(context, last);
  }
  return last;
}

let contextSymbol: symbol | undefined;

/** Fastify's route context of a request (under its `fastify.context` symbol). */
function routeContextOf(request: PageRequest): object | undefined {
  contextSymbol ??= Object.getOwnPropertySymbols(request).find(
    symbol => symbol.description === 'fastify.context',
  );
  if (contextSymbol === undefined) return undefined;
  const context = (request as unknown as Record<symbol, unknown>)[contextSymbol];
  return typeof context === 'object' && context !== null ? context : undefined;
}
