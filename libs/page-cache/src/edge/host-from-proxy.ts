import type { PageRequest } from '../interfaces/page-options.interface.js';

/**
 * Whether the framework reports another host than the `Host` header (a trusted proxy's
 * `X-Forwarded-Host`): the page is keyed by it, an edge by `Host`, so one forged header would
 * decide the page everyone gets from the edge. Such a response is not given to the edge.
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
