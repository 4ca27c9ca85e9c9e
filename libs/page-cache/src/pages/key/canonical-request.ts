import { routeOptionsOf } from '../route-options.js';
import type { PageRequest } from '../page-metadata.js';

/**
 * The spellings of a request a page is keyed by. Requests that reach one handler with the same
 * parameters, query and vary inputs must share an entry, or a client can multiply the entries of
 * a page without bound (`/articles/hello%2Dworld`, `/ARTICLES/hello-world`, `EXAMPLE.com:80`). So
 * the key holds the route pattern the router matched and the parameters it decoded, and the query
 * and host in a canonical form that merges only spellings every parser reads alike (see
 * `canonicalTarget`, `hostOf`). A handler that reads the spelling itself (`req.url`, the `Host`
 * header…) would see the difference: that read, seen while the page renders, keys the route's
 * pages by the request as sent from then on (`raw`).
 */
interface KeyedSpellings {
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
    const path = q === -1 ? url : url.slice(0, q);
    return { target: url, path, originalUrl: original, hostHeader, host };
  }
  const pattern = routePattern(request);
  let target: unknown;
  let path: unknown;
  if (pattern === undefined) {
    // The path keyed in the same canonical form as the query.
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
    // With a query allowlist, the rewritten (or mounted) target's query would key every parameter.
    originalUrl:
      original === null
        ? null
        : canonicalTarget(queryAllowlist ? original.replace(/\?.*$/s, '') : original),
    hostHeader: hostHeader === null ? null : hostOf(hostHeader, request),
    host: host === null ? null : hostOf(host, request),
  };
}

/** The route pattern the router matched (`/articles/:slug`), on Express or Fastify. */
export function routePattern(request: object): string | undefined {
  const express = (request as { route?: { path?: unknown } }).route?.path;
  if (typeof express === 'string') return express;
  const fastify = routeOptionsOf(request)?.url;
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
 * A request target with percent-encoded unreserved characters (RFC 3986 §2.3) decoded and the
 * other escapes' hex digits upper-cased (`%2F` stays distinct from `/`, `+` from `%20`); as sent
 * when it holds no `%` or does not decode as UTF-8.
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

/** Ports that name no other host: the protocol's default, and the server's own (no client's). */
export function defaultPorts(request: PageRequest): string[] {
  const ports = [request.protocol === 'https' ? '443' : '80'];
  const socket = (request as { socket?: { localPort?: unknown } }).socket;
  const local = socket?.localPort;
  if (typeof local === 'number') ports.push(String(local));
  return ports;
}
