import type { Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ResolvedCacheOptions } from '../../cache.options.js';
import { buildPagePolicy, type PagePolicy } from './page-policy.js';

/**
 * The page policy of every route, built once per controller class and handler (an inherited
 * handler is one function in several classes, each with its own `@VaryOn`/`@NoCache`).
 */
export class PolicyRegistry {
  private readonly byController = new WeakMap<object, Map<unknown, PagePolicy | null>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly options: ResolvedCacheOptions,
    private readonly cacheName: string,
  ) {}

  /** The policy of `handler` as a route of `controller`, or `null` when it is not cached. */
  get(controller: Type, handler: (...args: never[]) => unknown): PagePolicy | null {
    let byHandler = this.byController.get(controller);
    if (!byHandler) {
      byHandler = new Map();
      this.byController.set(controller, byHandler);
    }
    let policy = byHandler.get(handler);
    if (policy === undefined) {
      policy = buildPagePolicy(this.reflector, this.options, this.cacheName, controller, handler);
      byHandler.set(handler, policy);
    }
    return policy;
  }
}
