import { createHash } from 'node:crypto';
import type { BypassReason } from '../../cache-statistics.js';
import type { PageMeta } from '../../codec.js';
import type { PagePolicy } from '../policy/page-policy.js';
import type { CapturedResponse } from './capture.js';

// Hop-by-hop headers (RFC 9110 §7.6.1), per-response ones, and our own.
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'date',
  'set-cookie',
  'age',
  'x-cache',
  'content-length',
]);
const UNCACHEABLE_DIRECTIVE = /(?:^|,)\s*(private|no-store|no-cache)\b/i;

/**
 * Why a response, as its head was sent, may not be stored (Django's `UpdateCacheMiddleware`
 * rules, plus ours), or `undefined`. `Content-Encoding` is refused: a compression middleware
 * encodes the bytes after we saw them.
 */
export function rejectResponse(
  captured: CapturedResponse,
  policy: PagePolicy,
  maxEntrySize: number,
): BypassReason | undefined {
  if (!policy.statuses.has(captured.status)) return 'status';
  if (captured.streamed) return 'stream';
  const { headers } = captured;
  if (headers.has('set-cookie')) return 'set-cookie';
  const cacheControl = headers.get('cache-control');
  if (cacheControl !== undefined && UNCACHEABLE_DIRECTIVE.test(String(cacheControl))) {
    return 'cache-control';
  }
  if (headers.has('content-encoding')) return 'encoding';
  if (uncoveredVary(headers.get('vary'), policy) !== undefined) return 'vary';
  if (captured.body.length > maxEntrySize) return 'size';
  return undefined;
}

/** The first name of a response's `Vary` that the page's key does not cover (`*` included). */
function uncoveredVary(
  vary: string | string[] | undefined,
  policy: PagePolicy,
): string | undefined {
  if (vary === undefined) return undefined;
  for (const token of String(vary).split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || policy.vary.headers.includes(name)) continue;
    // Compression middlewares announce Vary: Accept-Encoding even for bodies they leave as is.
    if (name === 'accept-encoding') continue;
    return token.trim();
  }
  return undefined;
}

/**
 * What the once-per-route message of a refused response names: the `Vary` header the key does
 * not cover, the `Cache-Control` directive, the `Content-Encoding`, the body's size.
 */
export function bypassDetail(
  reason: BypassReason,
  captured: CapturedResponse,
  policy: PagePolicy,
): string | undefined {
  const { headers } = captured;
  switch (reason) {
    case 'vary':
      return uncoveredVary(headers.get('vary'), policy);
    case 'cache-control':
      return UNCACHEABLE_DIRECTIVE.exec(String(headers.get('cache-control')))?.[1]?.toLowerCase();
    case 'encoding':
      return String(headers.get('content-encoding'));
    case 'size':
      return String(captured.body.length);
    default:
      return undefined;
  }
}

/** The headers a stored page keeps, lower-case, multi-valued ones as repeated pairs. */
export function storedHeaders(captured: CapturedResponse): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of captured.headers) {
    if (NOT_STORED.has(name) || name === 'etag') continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, value]);
  }
  return out;
}

/** The handler's own strong ETag, or one computed from the body (once, when stored). */
export function strongEtag(given: string | string[] | undefined, body: Buffer): string {
  if (typeof given === 'string' && given.startsWith('"')) return given;
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** The captured response without one header (our own Cache-Control is not the handler's word). */
export function withoutHeader(captured: CapturedResponse, name: string): CapturedResponse {
  const headers = new Map(captured.headers);
  headers.delete(name);
  return { ...captured, headers };
}

/**
 * The header of the entry a captured response is stored as. An edge `tag` header replaces one of
 * that name the handler set (purges name the page's own tags); its `vary` joins the handler's.
 */
export function pageMetaOf(
  captured: CapturedResponse,
  policy: Pick<PagePolicy, 'ttlMs'>,
  renderMs: number,
  tag?: { name: string; value: string; vary?: string },
): PageMeta {
  let headers = storedHeaders(captured);
  if (tag) {
    const name = tag.name.toLowerCase();
    const vary = headers.filter(([header]) => header === 'vary').map(([, value]) => value);
    headers = headers.filter(([header]) => header !== name && header !== 'vary');
    if (tag.vary) vary.push(tag.vary);
    if (vary.length > 0) headers.push(['vary', vary.join(', ')]);
    headers.push([name, tag.value]);
  }
  return {
    k: 'page',
    s: captured.status,
    h: headers,
    e: strongEtag(captured.headers.get('etag'), captured.body),
    t: Date.now(),
    l: policy.ttlMs,
    r: Math.round(renderMs),
  };
}
