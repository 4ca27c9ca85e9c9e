import type { PageRequest } from '../interfaces/page-options.interface.js';

/**
 * Whether the framework reports another host than the request's `Host` header: a trusted proxy's
 * `X-Forwarded-Host` (Express `trust proxy`, Fastify `trustProxy`). The page is keyed by that host,
 * but an edge files it under the URL and the `Host` it received: one request with a forged
 * `X-Forwarded-Host` would decide the page everyone gets from the edge. Such a response is not
 * given to the edge.
 */
export function hostFromProxy(request: PageRequest): boolean {
  const header = request.headers.host;
  if (typeof header !== 'string') return true;
  const given = header.toLowerCase();
  if (request.host !== undefined) return request.host.toLowerCase() !== given;
  if (request.hostname !== undefined) {
    return request.hostname.toLowerCase() !== given.replace(/:\d+$/, '');
  }
  return false;
}
