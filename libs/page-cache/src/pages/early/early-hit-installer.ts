import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CACHE_NAME, CACHE_OPTIONS } from '../../cache.constants.js';
import type { ResolvedCacheOptions } from '../../cache.options.js';
import type { AdapterResponse, FastifyReplyLike } from '../adapter-response.js';
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
 * Installs the early hit path once the routes are registered: on Express in front of the handler
 * of every GET route (after every middleware and routing), on Fastify as an `onRequest` hook
 * (after routing). A hit is written there; anything else goes on to Nest's pipeline as before.
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
    else if (type === 'fastify') {
      this.installOnFastify(adapter.getInstance(), interceptor, idleResponseHooks(adapter));
    }
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
          const declined = (): unknown => original(request, response, next);
          serveEarly(interceptor, request as unknown as PageRequest, response, response, declined);
        };
      }
    }
  }

  private installOnFastify(
    app: unknown,
    interceptor: PageCacheInterceptor,
    idle: () => number,
  ): void {
    const fastify = app as {
      addHook(
        name: 'onRequest',
        hook: (request: PageRequest, reply: FastifyReplyLike, done: () => void) => void,
      ): void;
      hasPlugin?(name: string): boolean;
    };
    // Where this hook is not the route's last step, the judgement says not early: it declines.
    // Callback-style: a page held in memory is sent before the hook returns, with no promise. A
    // sent reply ends the hooks (`done` is not called): Nest's handler does not run.
    const earlyHit = (request: PageRequest, reply: FastifyReplyLike, done: () => void): void => {
      serveEarly(interceptor, request, reply, reply.raw, done);
    };
    // Fastify keeps a bound copy, named after the function: a unique name tells this one apart.
    Object.defineProperty(earlyHit, 'name', {
      value: `nestjsPageCacheEarlyHit${++installed}:${this.cacheName}`,
    });
    // @fastify/compress compresses what the hook sends in its onSend hook, as any other reply.
    interceptor.useEarlyHook(earlyHit, fastify.hasPlugin?.('@fastify/compress') === true, idle);
    fastify.addHook('onRequest', earlyHit);
  }
}

/**
 * Runs the early hit path for one request; `declined` continues the request through Nest when
 * no page was served (nor could be: the cache never turns a good request into an error).
 */
function serveEarly(
  interceptor: PageCacheInterceptor,
  request: PageRequest,
  response: AdapterResponse,
  raw: ServerResponse,
  declined: () => unknown,
): void {
  let served: boolean | Promise<boolean>;
  try {
    served = interceptor.serveEarly(request, response, raw);
  } catch {
    served = false;
  }
  if (served === true) return;
  if (served === false) {
    declined();
    return;
  }
  served.then(
    sent => {
      if (!sent) declined();
    },
    () => declined(),
  );
}

/**
 * Nest's Fastify adapter adds one `onResponse` hook to every route in its constructor (so before
 * any of the app's), which runs the adapter's lifecycle hook and does nothing while none is set.
 */
function idleResponseHooks(adapter: object): () => number {
  const nest = adapter as { onResponseHook?: unknown; setOnResponseHook?: unknown };
  if (typeof nest.setOnResponseHook !== 'function' || !('onResponseHook' in nest)) return () => 0;
  return () => (nest.onResponseHook === undefined ? 1 : 0);
}

/** Early hooks installed in this process (each gets a name of its own). */
let installed = 0;
