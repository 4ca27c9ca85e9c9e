import type { Type } from '@nestjs/common';
import { MODULE_PATH, PATH_METADATA } from '@nestjs/common/constants.js';
import { closestName } from '../../did-you-mean.js';
import type { EntityDependencySpec } from '../page-metadata.js';

/** A parameter name as both routers read it: an identifier, or path-to-regexp's `:"quoted"`. */
const PARAM =
  /(?:::|\\.)|[:*](?:"((?:[^"\\]|\\.)*)"|([$_\p{ID_Start}][$\u200c\u200d\p{ID_Continue}]*))?/gu;

/**
 * The names of the parameters in a route path (`:id`, `*splat`, `:"quoted"`), or `undefined`
 * when the path has a parameter whose name depends on the router (a bare `*`: Fastify's `'*'`,
 * Express's converted `path`), which is then not checked.
 */
export function routeParamNames(path: string): Set<string> | undefined {
  const names = new Set<string>();
  // A Fastify parameter's regular expression (`:id(^\\d+$)`) names nothing.
  const unconstrained = path.replace(/\((?:[^()\\]|\\.)*\)/g, '');
  for (const match of unconstrained.matchAll(PARAM)) {
    // `::` (Fastify) and `\:` (path-to-regexp) are a literal colon.
    if (match[0] === '::' || match[0].startsWith('\\')) continue;
    const name = match[1] ?? match[2];
    if (name === undefined) {
      if (match[0] === '*') return undefined;
      continue;
    }
    names.add(name.replace(/\\(.)/g, '$1'));
  }
  return names;
}

/** The prefixes a controller's routes are mounted under: the global prefix, `RouterModule` paths. */
export interface RouteMount {
  globalPrefix?: string;
  /** The controller's module (its `RouterModule` path is read from it). */
  module?: object;
}

/**
 * Checks that every `@CacheKeyFrom({ model, id: 'name' })` of a route names one of its path
 * parameters, in each of its paths: a name that is none would bypass every request (`missing-id`)
 * without a word. Ids given as functions are not checked.
 * @throws TypeError naming the handler, the id, the route's parameters and a did-you-mean.
 */
export function checkEntityIds(
  entities: readonly EntityDependencySpec[],
  controller: Type,
  handler: (...args: never[]) => unknown,
  mount: RouteMount,
): void {
  const named = entities.filter(entity => typeof entity.id === 'string');
  if (named.length === 0) return;
  const prefixes = [mount.globalPrefix ?? '', ...modulePaths(mount.module)];
  for (const own of routePaths(controller, handler)) {
    const path = joinPaths([...prefixes, own]);
    const names = routeParamNames(path);
    if (names === undefined) continue;
    for (const { model, id } of named) {
      if (names.has(id as string)) continue;
      throw new TypeError(
        `${controller.name}.${handler.name}: @CacheKeyFrom({ model: ${model}, id: '${String(id)}' }) names no parameter of its route '${path}' (${listed(names)}), so every request would bypass the cache.${suggestion(id as string, names)} Name a route parameter exactly as the route spells it, or give id as a function of the request.`,
      );
    }
  }
}

/** Every path of the route: each controller path joined with each of the handler's. */
function routePaths(controller: Type, handler: object): string[] {
  const paths: string[] = [];
  for (const base of asList(Reflect.getMetadata(PATH_METADATA, controller))) {
    for (const own of asList(Reflect.getMetadata(PATH_METADATA, handler))) {
      paths.push(joinPaths([base, own]));
    }
  }
  return paths;
}

/** `['api', '/posts/', ':id']` → `/api/posts/:id`. */
function joinPaths(parts: readonly string[]): string {
  const trimmed = parts.map(part => part.replace(/^\/+|\/+$/g, '')).filter(part => part !== '');
  return `/${trimmed.join('/')}`;
}

/** `RouterModule` paths of a module (stored per application, so every one it was given). */
function modulePaths(module: object | undefined): string[] {
  if (module === undefined) return [];
  return Reflect.getMetadataKeys(module)
    .filter((key): key is string => typeof key === 'string' && key.startsWith(MODULE_PATH))
    .map(key => String(Reflect.getMetadata(key, module)));
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.length > 0 ? value.map(String) : ['/'];
  return typeof value === 'string' ? [value] : ['/'];
}

function listed(names: ReadonlySet<string>): string {
  if (names.size === 0) return 'it has no parameters';
  return `its parameters: ${[...names].map(name => `'${name}'`).join(', ')}`;
}

/**
 * The closest name; else the parameter the id ends with (`articleId` for `:id` is no typo of it,
 * but a longer name of it); else the route's only parameter.
 */
function suggestion(id: string, names: ReadonlySet<string>): string {
  const lower = id.toLowerCase();
  const suffix = [...names]
    .filter(name => lower.endsWith(name.toLowerCase()))
    .sort((a, b) => b.length - a.length)[0];
  const only = names.size === 1 ? [...names][0] : undefined;
  const closest = closestName(id, names) ?? suffix ?? only;
  return closest === undefined ? '' : ` Did you mean '${closest}'?`;
}
