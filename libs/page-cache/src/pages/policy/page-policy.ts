import type { Type } from '@nestjs/common';
import {
  PATH_METADATA,
  RENDER_METADATA,
  SSE_METADATA,
  VERSION_METADATA,
} from '@nestjs/common/constants.js';
import type { Reflector } from '@nestjs/core';
import { DEFAULT_CACHE } from '../../cache.constants.js';
import type { ResolvedCacheOptions } from '../../cache.options.js';
import { MODEL_NAME } from '../../keys.js';
import { parseTtl } from '../../ttl.js';
import {
  CACHE_KEY_FROM_METADATA,
  CACHE_PAGE_METADATA,
  NO_CACHE_METADATA,
  VARY_ON_METADATA,
  type CachePageOptions,
  type EntityDependencySpec,
  type ModelSpec,
  type VarySpec,
} from '../page-metadata.js';

/** Everything that decides how one handler's pages are keyed and stored. */
export interface PagePolicy {
  /** `ControllerName.methodName` or `@CachePage({ key })`. */
  view: string;
  /** The handler's route identity (controller, paths, versions), part of every key. */
  route?: string;
  ttlMs: number;
  /** Query parameters that select a variant; `undefined` = the whole query string, as sent. */
  query?: ReadonlySet<string>;
  statuses: ReadonlySet<number>;
  vary: VarySpec;
  /** Whole models the page is built from (including `defaultModels`), sorted. */
  models: string[];
  entities: EntityDependencySpec[];
  /** Names of every model the page depends on (whole or by entity). */
  dependsOn?: string[];
  /** Whether requests with `Authorization` may be cached (the page varies on it or on the user). */
  allowsAuthorization: boolean;
  /** The page varies on the user, a cookie, `Authorization` or a function: never `public`. */
  personalised: boolean;
  /**
   * `pages.cacheControl`: sent with this page's cacheable responses as it is when shared caches
   * may keep them, made private otherwise (see `route-judgement.ts`).
   */
  cacheControl?: string;
  graceMs: number;
  /** XFetch's beta; 0 turns early refresh off. */
  earlyRefreshBeta: number;
  /** The handler has `@Render()`: Nest renders its result, so a hit must stop that. */
  rendered: boolean;
  /** `@CachePage({ early })`, else `pages.early`: undefined = the early hit path where safe. */
  early?: boolean;
}

/** `@RouteConstraints()` of `@nestjs/platform-fastify` (not a dependency). */
export const ROUTE_CONSTRAINTS_METADATA = '__fastify_route_constraints__';

/** Directives that let a shared cache keep a response; dropped for personalised pages. */
const SHARED_DIRECTIVE = /^(?:public|private|s-maxage=.*|proxy-revalidate)$/i;

/** The page policy of a handler of a controller class, or `null` when it is not cached. */
export function buildPagePolicy(
  reflector: Reflector,
  moduleOptions: ResolvedCacheOptions,
  cacheName: string,
  controller: Type,
  handler: (...args: never[]) => unknown,
): PagePolicy | null {
  const targets = [handler, controller];
  if (reflector.getAllAndOverride<boolean>(NO_CACHE_METADATA, targets)) return null;
  // Server-sent events never end: they are never cached, in any mode.
  if (reflector.get<boolean | undefined>(SSE_METADATA, handler)) return null;
  const page = reflector.getAllAndOverride<CachePageOptions | undefined>(
    CACHE_PAGE_METADATA,
    targets,
  );
  if (!page && !moduleOptions.pages.global) return null;
  // Each cache's interceptor handles the pages that name it (site-wide: undecorated ones).
  if (page && (page.cache ?? DEFAULT_CACHE) !== cacheName) return null;
  const options = page ?? {};
  const varySpecs = [
    ...((Reflect.getMetadata(VARY_ON_METADATA, controller) as VarySpec[] | undefined) ?? []),
    ...((Reflect.getMetadata(VARY_ON_METADATA, handler) as VarySpec[] | undefined) ?? []),
  ];
  const vary: VarySpec = {
    // `pages.vary`: as if every route named them with @VaryOn.
    headers: unique([...moduleOptions.pages.vary, ...varySpecs.flatMap(spec => spec.headers)]),
    cookies: unique(varySpecs.flatMap(spec => spec.cookies)),
    query: unique(varySpecs.flatMap(spec => spec.query)),
    user: varySpecs.some(spec => spec.user),
    functions: varySpecs.flatMap(spec => spec.functions),
  };
  const modelSpecs = reflector.getAll<(ModelSpec | undefined)[]>(CACHE_KEY_FROM_METADATA, targets);
  const models = unique([
    ...moduleOptions.defaultModels,
    ...modelSpecs.flatMap(spec => spec?.models ?? []),
  ]).sort();
  const personalised =
    vary.user ||
    vary.cookies.length > 0 ||
    vary.functions.length > 0 ||
    vary.headers.includes('authorization') ||
    vary.headers.includes('cookie');
  const { cacheControl } = moduleOptions.pages;
  return {
    view: options.key ?? viewName(controller, handler),
    // Two controllers of one name (API versions in two folders) must not share entries.
    route: JSON.stringify([
      controller.name,
      Reflect.getMetadata(PATH_METADATA, controller) ?? null,
      Reflect.getMetadata(VERSION_METADATA, controller) ?? null,
      handler.name,
      Reflect.getMetadata(PATH_METADATA, handler) ?? null,
      Reflect.getMetadata(VERSION_METADATA, handler) ?? null,
      // Fastify @RouteConstraints: two controllers of one name may differ by them alone.
      Reflect.getMetadata(ROUTE_CONSTRAINTS_METADATA, handler) ?? null,
    ]),
    personalised,
    cacheControl,
    ttlMs: options.ttl === undefined ? moduleOptions.pages.ttlMs : parseTtl(options.ttl),
    query: options.query ? new Set(options.query) : undefined,
    statuses: new Set(options.statuses ?? [200]),
    vary,
    models,
    entities: modelSpecs.flatMap(spec => spec?.entities ?? []),
    dependsOn: unique([
      ...models,
      ...modelSpecs.flatMap(spec => (spec?.entities ?? []).map(entity => entity.model)),
    ]),
    allowsAuthorization: vary.user || vary.headers.includes('authorization'),
    graceMs: options.grace === undefined ? moduleOptions.pages.graceMs : parseTtl(options.grace),
    earlyRefreshBeta: options.earlyRefresh?.beta ?? moduleOptions.pages.earlyRefreshBeta,
    rendered: reflector.get<string | undefined>(RENDER_METADATA, handler) !== undefined,
    early: options.early ?? moduleOptions.pages.early,
  };
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

function viewName(controller: Type, handler: { name: string }): string {
  const name = `${controller.name}.${handler.name}`;
  return MODEL_NAME.test(name) ? name : name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
