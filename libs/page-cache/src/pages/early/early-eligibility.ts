import { VersioningType, type Type } from '@nestjs/common';
import { GUARDS_METADATA, HOST_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import type { ApplicationConfig } from '@nestjs/core';
import type { PagePolicy } from '../policy/page-policy.js';

/** Why a cached route is answered on the interceptor path only (or `undefined`: it may go early). */
export type NotEarlyReason =
  'off' | 'guards' | 'interceptors-before' | 'versioning' | 'host-routing' | 'not-global';

/**
 * Whether a cached route's hits may be served before Nest's pipeline, where no user could tell the
 * difference: no guard (global, controller or handler) could refuse the request, no global
 * interceptor runs before the page cache (unless the page or module opts in with `early: true`),
 * and the router alone — not a version header or a host pattern checked inside Nest's handler —
 * chose the handler.
 */
export function notEarlyReason(
  policy: PagePolicy,
  controller: Type,
  handler: object,
  config: ApplicationConfig | undefined,
  interceptor: object,
): NotEarlyReason | undefined {
  if (policy.early === false) return 'off';
  if (!config) return 'not-global';
  if (
    has(GUARDS_METADATA, controller) ||
    has(GUARDS_METADATA, handler) ||
    config.getGlobalGuards().length > 0 ||
    config.getGlobalRequestGuards().length > 0
  ) {
    return 'guards';
  }
  const position = config.getGlobalInterceptors().indexOf(interceptor as never);
  if (position === -1) return 'not-global';
  if (position > 0 && policy.early !== true) return 'interceptors-before';
  const versioning = config.getVersioning();
  if (versioning && versioning.type !== VersioningType.URI) return 'versioning';
  if (Reflect.getMetadata(VERSION_METADATA, controller) !== undefined && !versioning) {
    return 'versioning';
  }
  if (Reflect.getMetadata(HOST_METADATA, controller) !== undefined) return 'host-routing';
  return undefined;
}

function has(key: string, target: object): boolean {
  const value: unknown = Reflect.getMetadata(key, target);
  return Array.isArray(value) && value.length > 0;
}

/**
 * What identifies the route a request was routed to, the same object on every request of it:
 * Express's `Route` (`req.route`, set by the router before the route's handlers run) or Fastify's
 * route handler (`request.routeOptions.handler`, known before its hooks run).
 */
export function routeToken(request: object): object | undefined {
  const express = (request as { route?: unknown }).route;
  if (typeof express === 'object' && express !== null) return express;
  const fastify = (request as { routeOptions?: { handler?: unknown } }).routeOptions?.handler;
  return typeof fastify === 'function' ? fastify : undefined;
}
