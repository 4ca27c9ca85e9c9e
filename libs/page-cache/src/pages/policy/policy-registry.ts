import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { DiscoveryService, Reflector } from '@nestjs/core';
import type { ResolvedCacheOptions } from '../../cache.options.js';
import { buildPagePolicy, type PagePolicy } from './page-policy.js';
import { checkEntityIds } from './route-params.js';

/**
 * The page policy of every route, built once per controller class and handler (an inherited
 * handler is one function in several classes, each with its own `@VaryOn`/`@NoCache`).
 */
export class PolicyRegistry {
  private readonly byController = new WeakMap<object, Map<unknown, PagePolicy | null>>();
  /** Whether each controller's dependency tree is static in every module that declares it. */
  private readonly staticTrees = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly options: ResolvedCacheOptions,
    private readonly cacheName: string,
  ) {}

  /**
   * Builds the policy of every GET route of every controller the app has (Nest's discovery, as
   * `@nestjs/event-emitter` finds `@OnEvent` handlers), so no policy is built on a request, and
   * checks each against its route (`globalPrefix`: the app's).
   * @throws TypeError for a `@CacheKeyFrom` id that names no parameter of its route.
   */
  preload(discovery: DiscoveryService, globalPrefix?: string): void {
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as Type | undefined;
      if (!controller || typeof controller !== 'function') continue;
      const isStatic = wrapper.isDependencyTreeStatic();
      this.staticTrees.set(controller, (this.staticTrees.get(controller) ?? true) && isStatic);
      // Inherited handlers too: a base controller's routes belong to each subclass.
      const names = new Set<string>();
      for (
        let prototype = controller.prototype as object | null;
        prototype && prototype !== Object.prototype;
        prototype = Object.getPrototypeOf(prototype) as object | null
      ) {
        for (const name of Object.getOwnPropertyNames(prototype)) {
          if (names.has(name) || name === 'constructor') continue;
          names.add(name);
          const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
          if (typeof handler !== 'function') continue;
          if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
          if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET) continue;
          const route = handler as (...args: never[]) => unknown;
          const policy = this.get(controller, route);
          if (policy) {
            checkEntityIds(policy.entities, controller, route, {
              globalPrefix,
              module: wrapper.host?.metatype,
            });
          }
        }
      }
    }
  }

  /**
   * Whether `controller`'s whole dependency tree is static, as Nest decides it (no request-scoped,
   * durable or request-bound transient provider in it); `undefined` for a controller not found.
   */
  staticTree(controller: Type): boolean | undefined {
    return this.staticTrees.get(controller);
  }

  /** The policy of `handler` as a route of `controller`, or `null` when it is not cached. */
  get(controller: Type, handler: (...args: never[]) => unknown): PagePolicy | null {
    let byHandler = this.byController.get(controller);
    if (!byHandler) this.byController.set(controller, (byHandler = new Map()));
    let policy = byHandler.get(handler);
    if (policy === undefined) {
      policy = buildPagePolicy(this.reflector, this.options, this.cacheName, controller, handler);
      byHandler.set(handler, policy);
    }
    return policy;
  }
}
