import { internalField } from './internal-field.js';

/** The fields of Fastify's `request.routeOptions` the cache reads. */
export interface RouteOptions {
  handler?: unknown;
  url?: unknown;
}

/**
 * Fastify's `request.routeOptions` (its `handler` and `url`: what the router matched), read once
 * per route: the getter builds a new object on every call, and both are fields of the route's
 * context, which is one object for the route's life.
 */
export function routeOptionsOf(request: object): RouteOptions | undefined {
  const context = internalField(request, 'fastify.context');
  if (typeof context !== 'object' || context === null) {
    return (request as { routeOptions?: RouteOptions }).routeOptions;
  }
  let options = BY_CONTEXT.get(context);
  if (options === undefined) {
    const read = (request as { routeOptions?: RouteOptions }).routeOptions;
    if (read === undefined) return undefined;
    options = { handler: read.handler, url: read.url };
    BY_CONTEXT.set(context, options);
  }
  return options;
}

const BY_CONTEXT = new WeakMap<object, RouteOptions>();
