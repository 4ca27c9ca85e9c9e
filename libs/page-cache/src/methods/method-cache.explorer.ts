import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { CACHE_NAME, CACHE_OPTIONS, getCacheToken } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { InvalidationListener } from '../invalidation/invalidation.listener.js';
import { FillLock } from '../pages/fill/fill-lock.js';
import { INVALIDATES_METADATA, type ModelSpec } from '../pages/page-metadata.js';
import { CacheStore } from '../stores/cache-store.interface.js';
import { ValueFills } from '../values/value-fills.js';
import { cachedMethod, type AnyMethod } from './cached-method.js';
import { invalidatingMethod } from './invalidating-method.js';
import { CACHED_METADATA, type CachedSpec } from './method-metadata.js';

/** `async function` objects, told apart from plain functions that may return anything. */
const AsyncFunction = (async () => undefined).constructor;

/**
 * What has been installed on which instance, by every cache of every app in the process: a
 * provider found twice (exported, re-provided) is wrapped once per cache.
 */
const INSTALLED = new WeakMap<object, Set<string>>();

/**
 * Finds `@Cached` and `@Invalidates` methods of providers at startup (Nest's discovery, as
 * `@nestjs/event-emitter` finds `@OnEvent` handlers) and wraps them on the provider's instance,
 * so the class needs nothing injected. Each cache wraps the `@Cached` methods that name it, and
 * every `@Invalidates` method (every cache is invalidated, as entity events do).
 *
 * What startup refuses, each with an error naming the method and why, is listed in the README
 * ("What startup refuses"): a method that is not `async`, request-scoped and transient providers,
 * misplaced decorators, and classes whose instances or names would share entries.
 */
@Injectable()
export class MethodCacheExplorer implements OnModuleInit {
  private readonly logger = new Logger('MethodCache');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
    private readonly fills: ValueFills,
    private readonly invalidations: InvalidationListener,
    @Inject(CacheStore) private readonly store: CacheStore,
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    @Inject(CACHE_NAME) private readonly cacheName: string,
  ) {}

  onModuleInit(): void {
    const lock = new FillLock(this.store, this.options.namespace, this.options.pages.fillLock);
    const views = new Map<string, Function>();
    const providers = this.discovery.getProviders().filter(wrapper => !wrapper.isAlias);
    const instances = instancesByClass(providers);
    for (const wrapper of providers) this.explore(wrapper, lock, views, instances);
    for (const wrapper of this.discovery.getControllers()) this.checkController(wrapper);
  }

  private explore(
    wrapper: InstanceWrapper,
    lock: FillLock,
    views: Map<string, Function>,
    instances: Map<Function, Map<object, InstanceWrapper>>,
  ): void {
    const instance = wrapper.instance as Record<string, unknown> | null | undefined;
    const prototype =
      instance !== null && typeof instance === 'object'
        ? (Object.getPrototypeOf(instance) as object | null)
        : ((wrapper.metatype as { prototype?: object } | null)?.prototype ?? null);
    if (!prototype || prototype === Object.prototype) return;
    const type = (prototype as { constructor?: Function }).constructor;
    const className = type?.name || String(wrapper.name);
    if (type && Reflect.getMetadata(INVALIDATES_METADATA, type)) {
      throw new Error(
        `@Invalidates on the provider class ${className}: on a provider, put it on the async methods that change data.`,
      );
    }
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name] as AnyMethod;
      const cached = Reflect.getMetadata(CACHED_METADATA, method) as CachedSpec | undefined;
      const invalidates = Reflect.getMetadata(INVALIDATES_METADATA, method) as
        ModelSpec | undefined;
      if (!cached && !invalidates) continue;
      const view = `${className}.${name}`;
      this.checkMethod(wrapper, view, method, cached, invalidates);
      if (!instance) continue;
      if (cached) {
        if (cached.cache !== this.cacheName) {
          this.checkCacheExists(view, cached.cache);
          continue;
        }
        const other = views.get(view);
        if (other && other !== type && !cached.key) {
          throw new Error(
            `@Cached ${view}: two different classes named ${className} cache a method ${name}, and would share its entries. Rename one, or give @Cached a key function.`,
          );
        }
        views.set(view, type!);
        const siblings = instances.get(type!);
        const instanceView =
          siblings && siblings.size > 1 && !cached.key
            ? `${className}[${JSON.stringify(instanceName(view, instance, siblings))}].${name}`
            : view;
        this.install(instance, name, 'cached', current =>
          cachedMethod(current, instanceView, cached, this.fills, lock, message =>
            this.logger.warn(message),
          ),
        );
      } else if (invalidates) {
        this.install(instance, name, 'invalidates', current =>
          invalidatingMethod(
            current,
            view,
            invalidates,
            payload => this.invalidations.invalidate(payload),
            message => this.logger.error(message),
          ),
        );
      }
    }
  }

  private checkMethod(
    wrapper: InstanceWrapper,
    view: string,
    method: AnyMethod,
    cached: CachedSpec | undefined,
    invalidates: ModelSpec | undefined,
  ): void {
    const decorator = cached ? '@Cached' : '@Invalidates';
    if (cached && invalidates) {
      throw new Error(
        `${view} has both @Cached and @Invalidates: a cached read cannot change data. Split it into two methods.`,
      );
    }
    if (!(method instanceof AsyncFunction)) {
      throw new Error(
        `${decorator} ${view}: the method is not async. ${decorator} needs an async method ` +
          '(declare it `async`, also when it already returns a promise: at startup a method that returns a promise cannot be told from one that does not).',
      );
    }
    if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
      const scope = wrapper.isTransient ? 'transient' : 'request-scoped';
      throw new Error(
        `${decorator} ${view}: the provider is ${scope} (or depends on a request-scoped provider). ` +
          `${decorator} works on singleton providers only: their instances exist at startup, and their results do not depend on a request. ` +
          'Move the method to a singleton provider and pass what it needs from the request as arguments.',
      );
    }
    if (invalidates && invalidates.entities.length > 0) {
      throw new Error(
        `@Invalidates on ${view}: { model, id } reads a route parameter, and a provider method has none. Use { model, idFrom: (args, result) => id }.`,
      );
    }
  }

  private checkController(wrapper: InstanceWrapper): void {
    const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
    if (!prototype) return;
    const className = (wrapper.metatype as Function).name;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      if (Reflect.getMetadata(CACHED_METADATA, method)) {
        throw new Error(
          `@Cached on the controller method ${className}.${name}: it caches provider methods. Cache a route with @CachePage.`,
        );
      }
      const spec = Reflect.getMetadata(INVALIDATES_METADATA, method) as ModelSpec | undefined;
      if (spec?.calls?.length) {
        throw new Error(
          `@Invalidates on the route ${className}.${name}: idFrom is for provider methods. On a route, give { model, id } with a route parameter name or a function of the request.`,
        );
      }
    }
  }

  private checkCacheExists(view: string, name: string): void {
    try {
      this.moduleRef.get(getCacheToken(name), { strict: false });
    } catch {
      throw new Error(
        `@Cached ${view} names the cache ${JSON.stringify(name)}, which is not registered. Register it with CacheModule.forRoot({ name: ${JSON.stringify(name)}, … }).`,
      );
    }
  }

  /**
   * Replaces `instance[name]` by `wrap(current method)`, once per cache and kind. The wrapper
   * keeps the method's name and its metadata, so that what reads them after startup (an
   * `@OnEvent` on the same method, another cache's explorer) still finds them.
   */
  private install(
    instance: Record<string, unknown>,
    name: string,
    kind: 'cached' | 'invalidates',
    wrap: (current: AnyMethod) => AnyMethod,
  ): void {
    let done = INSTALLED.get(instance);
    if (!done) INSTALLED.set(instance, (done = new Set()));
    const mark = `${kind}:${this.cacheName}:${name}`;
    if (done.has(mark)) return;
    done.add(mark);
    const current = instance[name] as AnyMethod;
    const wrapped = wrap(current);
    for (const key of Reflect.getOwnMetadataKeys(current)) {
      Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, current), wrapped);
    }
    Object.defineProperty(wrapped, 'name', { value: current.name });
    Object.defineProperty(instance, name, {
      value: wrapped,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/** The distinct instances of each provider class, with the (first) provider that holds each. */
function instancesByClass(
  providers: readonly InstanceWrapper[],
): Map<Function, Map<object, InstanceWrapper>> {
  const out = new Map<Function, Map<object, InstanceWrapper>>();
  for (const wrapper of providers) {
    const instance: unknown = wrapper.instance;
    if (instance === null || typeof instance !== 'object') continue;
    const type = (Object.getPrototypeOf(instance) as { constructor?: Function } | null)
      ?.constructor;
    if (!type || type === Object) continue;
    let byInstance = out.get(type);
    if (!byInstance) out.set(type, (byInstance = new Map()));
    if (!byInstance.has(instance)) byInstance.set(instance, wrapper);
  }
  return out;
}

/** A provider token as a stable name (the same in every process), if it has one. */
function tokenName(token: unknown): string | undefined {
  if (typeof token === 'string' && token !== '') return token;
  if (typeof token === 'symbol' && token.description) return `Symbol(${token.description})`;
  return undefined; // a class token: the same for every instance of the class
}

/**
 * The name that keys one of several instances of a class: its provider token, when every instance
 * has a token of its own.
 * @throws naming the method and the providers, when instances cannot be told apart.
 */
function instanceName(
  view: string,
  instance: object,
  siblings: Map<object, InstanceWrapper>,
): string {
  const names = [...siblings.values()].map(wrapper => tokenName(wrapper.token));
  const own = tokenName(siblings.get(instance)?.token);
  if (own !== undefined && names.filter(name => name === own).length === 1) return own;
  const where = [...siblings.values()]
    .map(
      wrapper =>
        `${String(tokenName(wrapper.token) ?? wrapper.name)} in ${wrapper.host?.name ?? '?'}`,
    )
    .join(', ');
  throw new Error(
    `@Cached ${view}: the class is provided ${siblings.size} times (${where}), and its instances would share their cached results. ` +
      "Provide each instance under a string token of its own ({ provide: 'EU_RATES', useFactory: … }): the key then includes the token. " +
      'Or give @Cached a key function that tells the instances apart (it is called with the instance as `this`).',
  );
}
