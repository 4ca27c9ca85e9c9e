import type { PageRequest } from '../page-metadata.js';
import type { HostCheck } from './allowed-hosts.js';
import { defaultPorts, splitHost } from './canonical-request.js';

/**
 * Whether a request target is a plain path every reading agrees on: origin-form (not
 * `http://host/path`), no empty segment (`//`), no `;`, no `#` (which browsers never send).
 * Routers read those differently (Fastify's `ignoreDuplicateSlashes`, `useSemicolonDelimiter`),
 * so the URL tags `expirePage` and edge purges reach a page by could miss it.
 */
export function plainTarget(url: string): boolean {
  if (url.charCodeAt(0) !== 47 /* / */) return false;
  // One pass over the path, none over a copy of it (this runs on every hit).
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */) return !url.includes('#', i);
    if (c === 35 /* # */ || c === 59 /* ; */) return false;
    if (c === 47 /* / */ && url.charCodeAt(i - 1) === 47) return false;
  }
  return true;
}

/**
 * Whether a request carries a body (which no key covers), or says how one is encoded
 * (`@fastify/compress` refuses an encoding it does not know, body or not).
 */
export function hasBody(request: PageRequest): boolean {
  const { headers } = request;
  const length = headers['content-length'];
  return (
    (length !== undefined && length !== '0') ||
    headers['transfer-encoding'] !== undefined ||
    headers['content-encoding'] !== undefined
  );
}

/**
 * Whether an `Accept-Encoding` refuses unencoded bytes (RFC 9110 §12.5.3): `identity;q=0`, or
 * `*;q=0` without `identity` listed. Such a client is never answered from the cache, nor stored
 * for: pages are stored unencoded (see `fill/identity-render.ts`).
 */
export function refusesIdentity(acceptEncoding: string | string[] | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  // Only `identity` or `*` can refuse: most headers (`gzip, deflate, br, zstd`) name neither.
  if (!header.includes('*') && !header.includes('y') && !header.includes('Y')) return false;
  let identity: boolean | undefined;
  let any: boolean | undefined;
  for (const member of header.split(',')) {
    const [coding = '', ...parameters] = member.split(';');
    const name = coding.trim().toLowerCase();
    if (name !== 'identity' && name !== '*') continue;
    let zero = false;
    for (const parameter of parameters) {
      const [key = '', value = ''] = parameter.split('=');
      if (key.trim().toLowerCase() === 'q') zero = Number(value.trim()) === 0;
    }
    if (name === 'identity') identity = (identity ?? true) && !zero;
    else any = (any ?? true) && !zero;
  }
  if (identity !== undefined) return !identity;
  return any === false;
}

/** `name`, `name:port`, `[v6]`, `[v6]:port`. */
const VALID_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * `pages.hosts` applied to the `Host` header, whose port must be digits (both adapters cut
 * `example.com:@evil.test` at the colon) and listed unless a default one, and to the host the
 * framework reports (a trusted proxy's `X-Forwarded-Host`).
 */
export function hostAllowed(allowed: HostCheck, request: PageRequest): boolean {
  const header = request.headers.host;
  if (typeof header !== 'string' || !allowedSpelling(allowed, header, request)) return false;
  // Port included: `X-Forwarded-Host: example.com:1`, `:2`… would each be an entry.
  const reported = request.host ?? request.hostname;
  if (reported === undefined || reported.toLowerCase() === header.toLowerCase()) return true;
  return allowedSpelling(allowed, reported, request);
}

/** A host (and port) of valid syntax, allowed by name and by port. */
function allowedSpelling(allowed: HostCheck, host: string, request: PageRequest): boolean {
  if (!VALID_HOST.test(host)) return false;
  const { name, port } = splitHost(host);
  const other = port !== undefined && !defaultPorts(request).includes(port) ? port : undefined;
  return allowed(name, other);
}
