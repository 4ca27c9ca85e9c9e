import { dependency, pageKey, pathTag, urlTag, variantDigest } from '../keys.js';
import type { EntityIdSource, PageRequest, VarySpec } from './page-metadata.js';

/** Everything that decides how one handler's pages are keyed and stored. */
export interface PagePolicy {
  /** `ControllerName.methodName` or `@CachePage({ key })`. */
  view: string;
  ttlMs: number;
  /** Query parameters that select a variant; `undefined` = all of them. */
  query?: ReadonlySet<string>;
  statuses: ReadonlySet<number>;
  vary: VarySpec;
  /** Whole models the page is built from (including `defaultModels`), sorted. */
  models: string[];
  /** Single entities the page is built from. */
  entities: { model: string; id: EntityIdSource }[];
  /** Whether requests with `Authorization` may be cached (the page varies on it or on the user). */
  allowsAuthorization: boolean;
  /** How long past its TTL a page may be served while it is refreshed (ms). */
  graceMs: number;
  /** XFetch's beta; 0 turns early refresh off. */
  earlyRefreshBeta: number;
  /** The handler has `@Render()`: Nest renders its result, so a hit must stop that. */
  rendered: boolean;
}

/** Where a page lives and what it is indexed under. */
export interface PageLocation {
  key: string;
  /** Dependencies (generation-checked and indexed). */
  deps: string[];
  /**
   * Lookup tags (indexed only): the URL path, and the path with its normalized query. Computed
   * when read, since only a write needs them and each costs a hash.
   */
  readonly tags: string[];
}

/** Resolves the principal of a request for `@VaryOn({ user: true })`. */
export type UserResolver = (request: PageRequest) => string | number | undefined | null;

/**
 * Builds the key of the page variant a request asks for:
 * `{ns}:page:{view}:{models}:{digest}`, where models are the dependency names (readable, so pages
 * can be found by pattern) and the digest covers everything else that selects the variant: host,
 * path, normalized query and each varied value, encoded unambiguously (missing ≠ empty ≠ a value
 * containing a separator) before hashing, so keys stay short whatever the URL length.
 *
 * @returns `undefined` when an entity id the page depends on is missing from the request.
 */
export function locatePage(
  namespace: string,
  policy: PagePolicy,
  request: PageRequest,
  userOf: UserResolver,
): PageLocation | undefined {
  const shown: string[] = [...policy.models];
  const deps: string[] = [...policy.models];
  for (const { model, id } of policy.entities) {
    const value = typeof id === 'function' ? id(request) : request.params?.[id];
    if (value === undefined || value === null || value === '') return undefined;
    const entity = dependency.entity(model, value);
    shown.push(entity);
    deps.push(entity, dependency.anyEntity(model));
  }

  const { path, search } = splitUrl(request.url);
  const query = normalizeQuery(search, policy.query);
  const parts: unknown[] = [header(request, 'host'), path, query];
  const { vary } = policy;
  for (const name of vary.headers) parts.push(['h', name, header(request, name)]);
  if (vary.cookies.length > 0) {
    const cookies = header(request, 'cookie');
    for (const name of vary.cookies) parts.push(['c', name, cookie(cookies, name)]);
  }
  if (vary.query.length > 0) {
    const params = new URLSearchParams(search);
    for (const name of vary.query) parts.push(['q', name, params.getAll(name)]);
  }
  if (vary.user) parts.push(['u', stringOrNull(userOf(request))]);
  for (const fn of vary.functions) parts.push(['f', stringOrNull(fn(request))]);

  return {
    key: pageKey(namespace, policy.view, shown, variantDigest(parts)),
    deps: deps.length === 0 ? deps : [...new Set(deps)],
    get tags() {
      return [pathTag(path), urlTag(path, JSON.stringify(query))];
    },
  };
}

/**
 * The lookup tag of every stored variant of a URL: the path alone (all its queries), or, when the
 * URL or `query` names a query, the path with that normalized query. Used by `expirePage`.
 */
export function urlTagOf(
  url: string,
  query?: Record<string, string | number | readonly (string | number)[]>,
): string {
  const { path, search } = splitUrl(url);
  if (query === undefined && search === '') return pathTag(path);
  const params = new URLSearchParams(search);
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
  }
  return urlTag(path, JSON.stringify(normalizeQuery(params.toString())));
}

/** Splits a request URL into its raw path and query string. */
export function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) };
}

/**
 * The query as `[name, value]` pairs, limited to `allowed` names, sorted by name (repeated names
 * keep their order, which can be meaningful), so `?a=1&b=2` and `?b=2&a=1` share an entry.
 */
export function normalizeQuery(search: string, allowed?: ReadonlySet<string>): [string, string][] {
  if (search.length === 0) return [];
  const pairs: [string, string][] = [];
  for (const [name, value] of new URLSearchParams(search)) {
    if (!allowed || allowed.has(name)) pairs.push([name, value]);
  }
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function header(request: PageRequest, name: string): string | null {
  const value = request.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function cookie(header: string | null, name: string): string | null {
  if (header === null) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function stringOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}
