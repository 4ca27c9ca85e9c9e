import type { BypassReason } from '../../cache-statistics.js';
import { dependency, pageKey, pathTag, urlTag, variantDigest } from '../../keys.js';
import type { PageRequest } from '../page-metadata.js';
import type { PagePolicy } from '../policy/page-policy.js';
import { BoundedMemo } from '../../bounded-memo.js';
import { keyedSpellings } from './canonical-request.js';
import {
  encodeInputs,
  keptInputs,
  keyInputsOf,
  parsedParam,
  routeIdOf,
  sameInputs,
} from './key-inputs.js';
import { canonicalEntityId } from './entity-id.js';

/** Where a page lives and what it is indexed under. */
export interface PageLocation {
  key: string;
  /**
   * Dependencies, generation-checked on every hit and indexed: the models and entities of
   * `@CacheKeyFrom`, then the page's two lookup tags (its path, and the path with its normalized
   * query), so an `expirePage()` replaces a token and no page read before it is served after it.
   */
  deps: string[];
  /**
   * The request headers the key holds, lower-case: the route's declared ones, then those it
   * learned from its responses' `Vary`. Absent (a location built elsewhere): the declared ones.
   */
  varyHeaders?: readonly string[];
}

/** Why a request cannot be keyed safely, so it bypasses the cache. */
export interface PageBypass {
  bypass: BypassReason;
  /** What the once-per-route message names (see `BYPASS_ADVICE`): a model, what a function did. */
  detail?: string;
}

/** Resolves the principal of a request for `@VaryOn({ user: true })` (default: `req.user.id`). */
export type UserResolver = (request: PageRequest) => unknown;

/**
 * Builds the key of the page variant a request asks for: `{ns}:page:{view}:{models}:{digest}`
 * (models readable, so pages can be found by pattern). The digest covers the request as the
 * handler sees it: the route, target and hosts of `keyedSpellings` (canonical, or as sent with
 * `rawSpellings`), the protocol the framework reports, and each varied header (declared, then
 * `learned`), cookie, query parameter, principal and vary function's result — JSON-encoded as
 * one array, so a missing value, an empty one and one that contains a separator never collide.
 * @returns a bypass when an entity id is missing or not canonical, when the principal of a
 *   request that carries credentials is unknown, or when a vary function returns an object.
 */
export function locatePage(
  namespace: string,
  policy: PagePolicy,
  request: PageRequest,
  userOf: UserResolver | undefined,
  rawSpellings = false,
  /** Headers the route learned from its responses' `Vary` (see `learned-vary.ts`). */
  learned: readonly string[] = [],
): PageLocation | PageBypass {
  const build = () => buildLocation(namespace, policy, request, userOf, rawSpellings, learned);
  const inputs = keyInputsOf(namespace, policy, request, rawSpellings, learned);
  if (inputs === undefined) return build();
  // Each request gets its own object (an overridden `locate()` may set its key); the
  // dependencies are shared, frozen: token keys are remembered by that array (`DependencyTracker`).
  // The route's last request again (a hot page): its inputs compared, none encoded.
  const last = LAST_LOCATIONS.get(policy);
  if (last !== undefined && sameInputs(last.inputs, inputs)) return { ...last.location };
  const encoded = encodeInputs(inputs);
  if (encoded === undefined) return build();
  let location = LOCATIONS.get(encoded);
  if (location === undefined) {
    const built = build();
    if (isBypass(built)) return built;
    location = built;
    Object.freeze(location.deps);
    LOCATIONS.set(encoded, location, encoded.length * 2 + LOCATION_OVERHEAD);
  }
  const kept = keptInputs(inputs);
  if (kept === undefined) LAST_LOCATIONS.delete(policy);
  else if (last === undefined) LAST_LOCATIONS.set(policy, { inputs: kept, location });
  else {
    last.inputs = kept;
    last.location = location;
  }
  return { ...location };
}

/** Each route's last located request: its inputs and location. */
const LAST_LOCATIONS = new WeakMap<PagePolicy, { inputs: unknown[]; location: PageLocation }>();

/** Bytes the memo of page locations may hold, all routes together. */
export const LOCATION_MEMO_BYTES = 4 * 1024 * 1024;
/** What one remembered location costs beside its inputs: key, dependencies, map entry. */
const LOCATION_OVERHEAD = 512;
/**
 * Page locations by the exact request values they were built from (see `keyInputsOf`): a hit's
 * key is built once per distinct request, and the same location (its strings hashed already) is
 * reused by the lookup. A pure function's memo: it changes no key.
 */
const LOCATIONS = new BoundedMemo<PageLocation>(Infinity, LOCATION_MEMO_BYTES, 2_048);

/** Entries and bytes the location memo holds now (for tests of its bound). */
export function locationMemoSize(): { entries: number; bytes: number } {
  const { entries, weight } = LOCATIONS.size();
  return { entries, bytes: weight };
}

/** The location of a request's page (see `locatePage`), built from the request (the memo's reference). */
export function buildLocation(
  namespace: string,
  policy: PagePolicy,
  request: PageRequest,
  userOf: UserResolver | undefined,
  rawSpellings: boolean,
  learned: readonly string[],
): PageLocation | PageBypass {
  const shown: string[] = [...policy.models];
  const deps: string[] = [...policy.models];
  for (const { model, id, parse } of policy.entities) {
    const raw = typeof id === 'function' ? id(request) : request.params?.[id];
    if (raw === undefined || raw === null || raw === '') return { bypass: 'missing-id' };
    const canonical = canonicalEntityId(raw, parse);
    if (canonical === undefined) {
      return { bypass: 'entity-id', detail: model };
    }
    const entity = dependency.entity(model, canonical);
    shown.push(entity);
    deps.push(entity, dependency.anyEntity(model));
  }

  const url = request.url;
  const { path, search } = splitUrl(url);
  const spelled = keyedSpellings(request, rawSpellings, policy.query !== undefined);
  const parts: unknown[] = [
    policy.route ?? null,
    // A route keyed as sent reads the URL: its whole target is an input, allowlist or not.
    policy.query && !rawSpellings ? spelled.path : spelled.target,
    spelled.originalUrl,
    spelled.hostHeader,
    spelled.host,
    request.protocol ?? null,
  ];
  // Keys of the two forms never meet, whatever the spelling.
  if (rawSpellings) parts.push('raw');
  const { vary } = policy;
  if (policy.query || vary.query.length > 0) {
    const query = request.query;
    if (typeof query !== 'object' || query === null) return { bypass: 'variant' };
    if (policy.query) for (const name of policy.query) parts.push(parsedParam(query, 'q', name));
    for (const name of vary.query) parts.push(parsedParam(query, 'Q', name));
  }
  const headers =
    learned.length === 0
      ? vary.headers
      : [...vary.headers, ...learned.filter(name => !vary.headers.includes(name))];
  // A learned header is keyed as a declared one: a key that holds it means the same either way.
  for (const name of headers) parts.push(['h', name, request.headers[name] ?? null]);
  if (vary.cookies.length > 0) {
    const header = request.headers.cookie;
    const jar = request.cookies;
    for (const name of vary.cookies) {
      const parsed = typeof jar === 'object' && jar !== null ? jar[name] : undefined;
      parts.push(['c', name, cookieValues(header, name), parsed === undefined ? null : parsed]);
    }
  }
  if (vary.user) {
    let principal: ReturnType<typeof principalOf>;
    try {
      principal = principalOf(request, userOf);
    } catch {
      principal = INVALID;
    }
    if (principal === INVALID) {
      return { bypass: 'principal' };
    }
    parts.push(['u', principal]);
  }
  for (const fn of vary.functions) {
    let value: unknown;
    try {
      value = fn(request);
    } catch {
      return { bypass: 'variant', detail: 'threw' };
    }
    if (value !== undefined && value !== null && !isScalar(value)) {
      return {
        bypass: 'variant',
        detail: `returned ${Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`}`,
      };
    }
    parts.push(['f', value ?? null]);
  }

  const unique = deps.length === 0 ? deps : [...new Set(deps)];
  const [byPath, byUrl] = lookupTagsOf(policy, url, path, search);
  unique.push(byPath, byUrl);
  const key = pageKey(namespace, policy.view, shown, variantDigest(parts));
  return { key, deps: unique, varyHeaders: headers };
}

const TAG_MEMO_URL = 1_024;
/** Bytes the memo of lookup tags may hold, all routes together (about 5,000 typical URLs). */
export const TAG_MEMO_BYTES = 2 * 1024 * 1024;
/** What one remembered URL costs beside its text: two tags, the map entry, the key's prefix. */
const TAG_MEMO_OVERHEAD = 160;
const TAG_MEMO = new BoundedMemo<readonly [string, string]>(Infinity, TAG_MEMO_BYTES, TAG_MEMO_URL);
/**
 * The lookup tags of a URL for one route (a pure function of both), remembered: each costs a
 * decode, a query parse and two hashes, and every hit needs them. One memo for the process,
 * bounded in bytes (oldest first out) and by URL length.
 */
function lookupTagsOf(
  policy: PagePolicy,
  url: string,
  path: string,
  search: string,
): readonly [string, string] {
  const key = `${routeIdOf(policy)} ${url}`;
  const known = TAG_MEMO.get(key);
  if (known !== undefined) return known;
  const tags = lookupTags(path, search, policy.query);
  TAG_MEMO.set(key, tags, key.length * 2 + TAG_MEMO_OVERHEAD);
  return tags;
}

/** Bytes the lookup-tag memo holds now (for tests of its bound). */
export function tagMemoSize(): { entries: number; bytes: number } {
  const { entries, weight } = TAG_MEMO.size();
  return { entries, bytes: weight };
}

export function isBypass(target: PageLocation | PageBypass): target is PageBypass {
  return 'bypass' in target;
}

const INVALID = Symbol('invalid principal');

/**
 * The principal a page varies on, `null` for an anonymous request, or INVALID when the request
 * carries credentials but no usable id (it would share one entry with every such request).
 */
function principalOf(
  request: PageRequest,
  userOf: UserResolver | undefined,
): string | number | null | typeof INVALID {
  const user = request.user;
  const value = userOf
    ? userOf(request)
    : typeof user === 'object' && user !== null
      ? (user as { id?: unknown }).id
      : undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || value === null || value === '') {
    const authenticated =
      request.headers.authorization !== undefined ||
      (request.user !== undefined && request.user !== null);
    return authenticated ? INVALID : null;
  }
  return INVALID;
}

function isScalar(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Every raw value the `Cookie` header gives `name`: parsers differ on duplicates and quotes. */
function cookieValues(header: string | string[] | null | undefined, name: string): string[] | null {
  // Null as undefined: the location memo encodes them alike (see `encodeInput`).
  if (header === undefined || header === null) return null;
  const values: string[] = [];
  for (const part of (Array.isArray(header) ? header.join('; ') : header).split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1));
  }
  return values;
}

/**
 * Lookup tags for `expirePage`: unlike the key, deliberately loose (lower-cased, decoded, no
 * trailing slash, query sorted), so one `expirePage` finds every spelling a router treats as one
 * URL (`/posts/3/`, `/POSTS/3`, `/posts/%33`); a tag two pages share only removes both.
 */
function lookupTags(
  path: string,
  search: string,
  allowed?: ReadonlySet<string>,
): readonly [string, string] {
  const loosePath = loosenPath(path);
  return [pathTag(loosePath), urlTag(loosePath, JSON.stringify(normalizeQuery(search, allowed)))];
}

/** `expirePage`'s tag of a URL: its path (all queries), or the path with the query it names. */
export function urlTagOf(
  url: string,
  query?: Record<string, string | number | readonly (string | number)[]>,
): string {
  const { path, search } = splitUrl(url);
  const loosePath = loosenPath(path);
  if (query === undefined && search === '') return pathTag(loosePath);
  const params = new URLSearchParams(search);
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
  }
  return urlTag(loosePath, JSON.stringify(normalizeQuery(params.toString())));
}

function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) };
}

/** A path as every router reading of it agrees: decoded, lower-case, no trailing slash. */
function loosenPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Invalid percent-encoding: keep the raw path (lower-cased below).
  }
  const lower = decoded.toLowerCase();
  const trimmed = lower.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** The query's `allowed` pairs sorted by name, for lookup tags (keys never sort the query). */
function normalizeQuery(search: string, allowed?: ReadonlySet<string>): [string, string][] {
  if (search.length === 0) return [];
  const pairs: [string, string][] = [];
  for (const [name, value] of new URLSearchParams(search)) {
    if (!allowed || allowed.has(name)) pairs.push([name, value]);
  }
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
