import type { PageRequest } from '../page-metadata.js';

/**
 * The spellings of a request a page is keyed by. Two requests that reach the same handler with
 * the same parameters, query and vary inputs must share one entry, or a client can multiply the
 * entries of one page without bound (`/articles/hello%2Dworld`, `/ARTICLES/hello-world` on a
 * case-insensitive router, `EXAMPLE.com:80`…). So the key holds what the router made of the path
 * — the route pattern it matched and the parameters it decoded for the handler — and the query and
 * host in a canonical form, where only spellings that every parser reads alike are merged:
 * - in the query, percent-encoded unreserved characters (`A-Z a-z 0-9 - _ ~`, RFC 3986 §2.3) are
 *   decoded and the hex digits of every other escape are upper-cased; `%2F` stays distinct from
 *   `/`, `%2E` from `.`, `+` from `%20`; a query that does not decode as UTF-8 is kept as sent;
 * - the host is lower-cased and its port dropped when it is the protocol's default or the port
 *   the server accepted the connection on.
 * (Without a matched pattern, the path is keyed in the same canonical form as the query.)
 * A handler that reads the spelling itself (`req.url`, `req.originalUrl`, `req.path`, `req.host`,
 * `req.hostname`, the `Host` header, the raw headers) would see the difference: the page cache
 * sees that read while the page renders and keys that route's pages by the request as sent from
 * then on (`raw`).
 */
export interface KeyedSpellings {
  /** What selects the page among the URLs of its route: pattern, parameters and query. */
  target: unknown;
  /** The same without the query (for a route with a query allowlist). */
  path: unknown;
  originalUrl: string | null;
  hostHeader: string | null;
  host: string | null;
}

/** The request's spellings for its key: canonical, or as sent (`raw`). */
export function keyedSpellings(
  request: PageRequest,
  raw: boolean,
  queryAllowlist = false,
): KeyedSpellings {
  const url = request.url;
  const original =
    request.originalUrl !== undefined && request.originalUrl !== url ? request.originalUrl : null;
  const header = request.headers.host;
  const hostHeader = typeof header === 'string' ? header : null;
  const host = request.host ?? request.hostname ?? null;
  const q = url.indexOf('?');
  if (raw) {
    return {
      target: url,
      path: q === -1 ? url : url.slice(0, q),
      originalUrl: original,
      hostHeader,
      host,
    };
  }
  const pattern = routePattern(request);
  let target: unknown;
  let path: unknown;
  if (pattern === undefined) {
    const canonical = canonicalTarget(url);
    const cq = canonical.indexOf('?');
    target = canonical;
    path = cq === -1 ? canonical : canonical.slice(0, cq);
  } else {
    path = [pattern, request.params ?? null];
    target = [pattern, request.params ?? null, q === -1 ? null : canonicalTarget(url.slice(q))];
  }
  return {
    target,
    path,
    // With a query allowlist only the listed parameters are keyed: the rewritten (or mounted)
    // target's own query would make every other parameter an entry.
    originalUrl:
      original === null
        ? null
        : canonicalTarget(queryAllowlist ? original.replace(/\?.*$/s, '') : original),
    hostHeader: hostHeader === null ? null : hostOf(hostHeader, request),
    host: host === null ? null : hostOf(host, request),
  };
}

/**
 * The route pattern the router matched for the request (`/articles/:slug`): Express's
 * `req.route.path`, Fastify's `request.routeOptions.url`; `undefined` when neither is known.
 */
function routePattern(request: PageRequest): string | undefined {
  const express = (request as { route?: { path?: unknown } }).route?.path;
  if (typeof express === 'string') return express;
  const fastify = (request as { routeOptions?: { url?: unknown } }).routeOptions?.url;
  return typeof fastify === 'string' ? fastify : undefined;
}

/** `canonicalHost`, reading the request's default ports only when the host has a port. */
function hostOf(host: string, request: PageRequest): string {
  const lower = host.toLowerCase();
  const bracket = lower.lastIndexOf(']');
  if (lower.indexOf(':', bracket + 1) === -1) return lower;
  return canonicalHost(lower, defaultPorts(request));
}

const ESCAPE = /%([0-9A-Fa-f]{2})/g;

/**
 * A request target with percent-encoded unreserved characters decoded and the other escapes'
 * hex digits upper-cased; as sent when it holds no `%` or does not decode as UTF-8.
 */
export function canonicalTarget(url: string): string {
  if (!url.includes('%')) return url;
  try {
    decodeURIComponent(url);
  } catch {
    return url;
  }
  return url.replace(ESCAPE, (escape: string, hex: string) => {
    const code = parseInt(hex, 16);
    return unreserved(code) ? String.fromCharCode(code) : `%${hex.toUpperCase()}`;
  });
}

/** `A-Z a-z 0-9 - _ ~` (not `.`: `%2E%2E` is not a dot segment to every reader). */
function unreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x5f ||
    code === 0x7e
  );
}

/** A host lower-cased, without a port that is the protocol's default or the server's own. */
export function canonicalHost(host: string, defaults: readonly string[]): string {
  const lower = host.toLowerCase();
  const { name, port } = splitHost(lower);
  return port === undefined || defaults.includes(port) ? name : lower;
}

/** The host name and port (digits as written, `undefined` without one) of a `Host` value. */
export function splitHost(host: string): { name: string; port: string | undefined } {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : 0;
  const colon = host.indexOf(':', end);
  return colon === -1
    ? { name: host, port: undefined }
    : { name: host.slice(0, colon), port: host.slice(colon + 1) };
}

/**
 * Ports that name no other host than the host itself: the protocol's default and the port the
 * server accepted the connection on (a client cannot choose it).
 */
export function defaultPorts(request: PageRequest): string[] {
  const ports = [request.protocol === 'https' ? '443' : '80'];
  const socket = (request as { socket?: { localPort?: unknown } }).socket;
  const local = socket?.localPort;
  if (typeof local === 'number') ports.push(String(local));
  return ports;
}
