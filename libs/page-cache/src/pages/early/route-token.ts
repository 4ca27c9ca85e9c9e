import { routeOptionsOf } from '../route-options.js';

/**
 * What identifies the route a request was routed to, the same object on every request of it:
 * Express's `Route` (`req.route`, set by the router before the route's handlers run) or Fastify's
 * route handler (`request.routeOptions.handler`, known before its hooks run).
 */
export function routeToken(request: object): object | undefined {
  const express = (request as { route?: unknown }).route;
  if (typeof express === 'object' && express !== null) return express;
  const fastify = routeOptionsOf(request)?.handler;
  return typeof fastify === 'function' ? fastify : undefined;
}
