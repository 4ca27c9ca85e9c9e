import type { Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import type { ApplicationConfig } from '@nestjs/core';
import type { PageRequest } from '../interfaces/page-options.interface.js';
import type { PagePolicy } from '../pages/policy/page-policy.js';

/** Why a cached page is not given to the edge (no tag header, `Cache-Control: private`). */
export type NotSharedReason = 'personalised' | 'varies' | 'guards';

/**
 * Whether an edge cache may keep a route's pages for everyone. An edge keys a page by its URL
 * (and host) and answers before the app, so it may keep only pages that nothing else selects and
 * nothing checks: not personalised (user, cookie, `Authorization`, a vary function), not varied on
 * a header (Cloudflare ignores `Vary`; a tenant header would hand one tenant's page to another),
 * and without guards (global, controller or handler), which an edge hit would skip.
 */
export function notSharedReason(
  policy: PagePolicy,
  controller: Type,
  handler: object,
  config: ApplicationConfig | undefined,
): NotSharedReason | undefined {
  if (policy.personalised) return 'personalised';
  if (policy.vary.headers.length > 0) return 'varies';
  // Without the app's config, global guards cannot be ruled out.
  if (
    has(controller) ||
    has(handler) ||
    config === undefined ||
    config.getGlobalGuards().length > 0 ||
    config.getGlobalRequestGuards().length > 0
  ) {
    return 'guards';
  }
  return undefined;
}

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

function has(target: object): boolean {
  const value: unknown = Reflect.getMetadata(GUARDS_METADATA, target);
  return Array.isArray(value) && value.length > 0;
}
