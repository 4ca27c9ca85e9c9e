import type { PageRequest } from '../page-metadata.js';

/**
 * Makes a render's request accept only `identity` until its head is sent, so that no compression
 * middleware encodes what is stored (Express's `compression` decides as the head is written,
 * `@fastify/compress` in its `onSend` hook: both read `Accept-Encoding` then). A page is stored
 * as identity bytes, once; the middleware encodes each hit on its way out, as it encodes an
 * uncached response. The render's own client gets it unencoded, once per render.
 * @returns what puts the request's `Accept-Encoding` back as it was (idempotent).
 */
export function acceptIdentityOnly(request: PageRequest): () => void {
  // Express's request is the Node message; Fastify's reads its headers from `raw`.
  const raw = (request as { raw?: { headers?: unknown } }).raw;
  const holder = raw && typeof raw === 'object' && 'headers' in raw ? raw : request;
  const headers = (holder as { headers?: Record<string, unknown> }).headers;
  if (!headers || typeof headers !== 'object') return () => undefined;
  const had = Object.prototype.hasOwnProperty.call(headers, 'accept-encoding');
  const before = headers['accept-encoding'];
  headers['accept-encoding'] = 'identity';
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (had) headers['accept-encoding'] = before;
    else delete headers['accept-encoding'];
  };
}
