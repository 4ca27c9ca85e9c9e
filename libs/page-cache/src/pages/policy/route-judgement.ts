import { VersioningType, type Type } from '@nestjs/common';
import { GUARDS_METADATA, HOST_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import type { ApplicationConfig } from '@nestjs/core';
import { privateCacheControl, ROUTE_CONSTRAINTS_METADATA, type PagePolicy } from './page-policy.js';

/** Why a cached route is answered on the interceptor path only (`undefined`: it may go early). */
export const NOT_EARLY_REASONS = [
  'off',
  'guards',
  'request-scoped',
  'interceptors-before',
  'versioning',
  'host-routing',
  'route-constraints',
  'header-schema',
  'fastify-hooks',
  'fastify-later-steps',
  'not-global',
] as const;
export type NotEarlyReason = (typeof NOT_EARLY_REASONS)[number];

/**
 * Why a route's pages may not be kept by a shared cache — no edge tags, never `public` or
 * `s-maxage` (`undefined`: they may).
 */
export const NOT_SHARED_REASONS = [
  'personalised',
  'varies',
  'guards',
  'request-scoped',
  'versioning',
  'host-routing',
  'route-constraints',
  'header-schema',
  'fastify-hooks',
] as const;
export type NotSharedReason = (typeof NOT_SHARED_REASONS)[number];

/** The one judgement of a route that the early path, edge tags and `Cache-Control` all read. */
export interface RouteJudgement {
  /** Why its hits may not be served before Nest's pipeline; `undefined`: they may. */
  notEarly?: NotEarlyReason;
  /** Why a shared cache (an edge, a proxy) may not keep its pages; `undefined`: it may. */
  notShared?: NotSharedReason;
  /**
   * On Fastify: no hook of the route runs while a reply is sent (`onSend`, `preSerialization`,
   * `onError`) or after it (`onResponse`, but Nest's idle one), so an early hit may skip Fastify's
   * send (see `mayWriteDirect`).
   */
  quietSend?: boolean;
}

/** What a route is judged from: Nest's own metadata, the app's config, the adapter's route. */
export interface RouteFacts {
  policy: PagePolicy;
  controller: Type;
  handler: object;
  /** The app's config (global enhancers, versioning); `undefined` when not known. */
  config: ApplicationConfig | undefined;
  /** The page cache's interceptor, to find its place among the global interceptors. */
  interceptor: object;
  /** See `PolicyRegistry.staticTree`. */
  staticTree: boolean | undefined;
  fastifyRoute?: object;
  earlyHook?: (...args: never[]) => unknown;
  /** `@fastify/compress` is registered: each route's last `onRequest` hook is its own. */
  fastifyCompress?: boolean;
  /** How many of each Fastify route's first `onResponse` hooks do nothing (Nest's, while idle). */
  idleResponseHooks?: () => number;
}

/**
 * Judges a route once. A shared cache and the early path both answer before parts of the app run,
 * so nothing skipped may refuse or change the answer: a static dependency tree (a request-scoped
 * provider's factory may check a tenant), no guard, a handler chosen by the URL and `Host` alone
 * (no header versioning, host routing, route constraints or header schema), no later Fastify hook.
 * A shared cache also needs a page the URL alone selects (not personalised, not varied on a
 * header: Cloudflare ignores `Vary`). The early path also needs to be the last step before the
 * handler: the first global interceptor (unless `early: true`), and on Fastify the last
 * `onRequest` hook, with no schema validating the request after it.
 */
export function judgeRoute(facts: RouteFacts): RouteJudgement {
  const pipeline = pipelineReason(facts);
  const route = facts.fastifyRoute;
  return {
    notEarly: notEarly(facts, pipeline),
    notShared: notShared(facts, pipeline),
    quietSend: route && quietSend(route, facts.idleResponseHooks?.() ?? 0),
  };
}

/** The reasons that keep a route from both the early path and shared caches. */
type PipelineReason = Exclude<NotSharedReason, 'personalised' | 'varies'>;

function pipelineReason(facts: RouteFacts): PipelineReason | undefined {
  const { controller, handler, config } = facts;
  if (
    has(GUARDS_METADATA, controller) ||
    has(GUARDS_METADATA, handler) ||
    config === undefined ||
    config.getGlobalGuards().length > 0 ||
    config.getGlobalRequestGuards().length > 0
  ) {
    return 'guards';
  }
  if (
    facts.staticTree !== true ||
    config.getGlobalRequestInterceptors().length > 0 ||
    config.getGlobalRequestPipes().length > 0 ||
    config.getGlobalRequestFilters().length > 0
  ) {
    return 'request-scoped';
  }
  const versioning = config.getVersioning();
  if (versioning && versioning.type !== VersioningType.URI) return 'versioning';
  if (!versioning && Reflect.getMetadata(VERSION_METADATA, controller) !== undefined) {
    return 'versioning';
  }
  if (Reflect.getMetadata(HOST_METADATA, controller) !== undefined) return 'host-routing';
  // @RouteConstraints (Fastify): a header or the host picks among handlers of one URL.
  const constraints: unknown = Reflect.getMetadata(ROUTE_CONSTRAINTS_METADATA, handler);
  if (typeof constraints === 'object' && constraints !== null) {
    if (Object.keys(constraints).length > 0) return 'route-constraints';
  }
  // A schema of the request's headers refuses requests an edge would answer.
  const schema: unknown =
    Reflect.getMetadata(ROUTE_SCHEMA_METADATA, handler) ??
    (facts.fastifyRoute as { schema?: unknown } | undefined)?.schema;
  if (typeof schema === 'object' && schema !== null && 'headers' in schema) {
    return 'header-schema';
  }
  const route = facts.fastifyRoute;
  if (route && LATER_HOOKS.some(name => hooksOf(route, name, facts.fastifyCompress) > 0)) {
    return 'fastify-hooks';
  }
  return undefined;
}

/** `@RouteSchema()` of `@nestjs/platform-fastify` (not a dependency). */
const ROUTE_SCHEMA_METADATA = '__fastify_route_schema__';

function notEarly(
  facts: RouteFacts,
  pipeline: PipelineReason | undefined,
): NotEarlyReason | undefined {
  const { policy, config } = facts;
  if (policy.early === false) return 'off';
  if (!config) return 'not-global';
  if (pipeline) return pipeline;
  const position = config.getGlobalInterceptors().indexOf(facts.interceptor as never);
  if (position === -1) return 'not-global';
  if (position > 0 && policy.early !== true) return 'interceptors-before';
  if (facts.fastifyRoute && !lastStep(facts.fastifyRoute, facts.earlyHook, facts.fastifyCompress)) {
    return 'fastify-later-steps';
  }
  return undefined;
}

function notShared(
  facts: RouteFacts,
  pipeline: PipelineReason | undefined,
): NotSharedReason | undefined {
  if (facts.policy.personalised) return 'personalised';
  if (facts.policy.vary.headers.length > 0) return 'varies';
  return pipeline;
}

/**
 * The `Cache-Control` a cacheable page of the route goes out with: `pages.cacheControl` when a
 * shared cache may keep it (and, with an edge, when it is tagged), else the same made private —
 * and with an edge, `private` even when none is configured: no purge would reach an edge copy of
 * an untagged page.
 */
export function pageCacheControl(
  configured: string | undefined,
  judgement: RouteJudgement,
  edge: { enabled: boolean; tagged: boolean },
): string | undefined {
  const shared = judgement.notShared === undefined && (!edge.enabled || edge.tagged);
  if (shared) return configured;
  if (configured !== undefined) return privateCacheControl(configured);
  return edge.enabled ? 'private' : undefined;
}

/** Hooks of a Fastify route that run while a reply is sent. */
const SEND_HOOKS = ['onSend', 'preSerialization', 'onError'] as const;

/**
 * Whether a Fastify route runs no hook while a reply is sent, and after it (`onResponse`, which
 * could read the reply's headers) only the `idle` first ones: Nest's adapter adds one to every
 * route, which does nothing until `setOnResponseHook()`.
 */
function quietSend(route: object, idle: number): boolean {
  return (
    SEND_HOOKS.every(name => hooksOf(route, name) === 0) && hooksOf(route, 'onResponse') <= idle
  );
}

/** Hooks of a Fastify route that run after `onRequest` and before the handler. */
const LATER_HOOKS = ['preParsing', 'preValidation', 'preHandler'] as const;

/**
 * How many such hooks a route has. `@fastify/compress` puts its own `preParsing (request, reply,
 * raw, next)` first on every route: it only decodes a request body sent with `Content-Encoding`,
 * and such a request is never answered from the cache (see `hasBody`).
 */
function hooksOf(route: object, name: string, fastifyCompress = false): number {
  const hooks = (route as Record<string, unknown>)[name];
  if (!Array.isArray(hooks)) return 0;
  const first: unknown = hooks[0];
  const decodes =
    fastifyCompress &&
    name === 'preParsing' &&
    typeof first === 'function' &&
    first.name === 'bound preParsing' &&
    first.length === 4;
  return decodes ? hooks.length - 1 : hooks.length;
}

/**
 * Whether the early hook is the last step of a Fastify route before its handler: the last
 * `onRequest` hook (Fastify keeps hooks bound to their instance: a bound copy is named after the
 * original), and no schema (Fastify validates, and coerces the query, after `onRequest`). With
 * `@fastify/compress`, the one hook it adds to every route after the global ones only sets
 * `reply.compress`: it may follow (one `onRequest (_req, reply, next)`, nothing else).
 */
function lastStep(
  route: object,
  hook: ((...args: never[]) => unknown) | undefined,
  fastifyCompress = false,
): boolean {
  if (!hook) return false;
  const onRequest = (route as { onRequest?: unknown }).onRequest;
  const hooks: unknown[] = Array.isArray(onRequest) ? onRequest : [];
  let last = hooks.length - 1;
  if (fastifyCompress && last > 0 && isCompressDecoration(hooks[last])) last--;
  const final = hooks[last];
  const isOurs =
    final === hook || (typeof final === 'function' && final.name === `bound ${hook.name}`);
  const schema = (route as { schema?: unknown }).schema;
  return isOurs && (schema === undefined || schema === null);
}

/** The hook `@fastify/compress` adds to each route to decorate the reply (bound by Fastify). */
function isCompressDecoration(hook: unknown): boolean {
  return typeof hook === 'function' && hook.name === 'bound onRequest' && hook.length === 3;
}

function has(key: string, target: object): boolean {
  const value: unknown = Reflect.getMetadata(key, target);
  return Array.isArray(value) && value.length > 0;
}
