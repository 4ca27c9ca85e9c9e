import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { CACHED_METADATA, type CachedSpec } from '../methods/method-metadata.js';
import { dependencyModel, entryDependencies } from '../models.js';
import {
  CACHE_KEY_FROM_METADATA,
  INVALIDATES_METADATA,
  type ModelSpec,
} from '../pages/page-metadata.js';

/** A model named in the app's code, and where (`@CacheKeyFrom on BooksController.show`). */
export interface DeclaredModel {
  name: string;
  where: string;
  /** `page`: a page is built from it (it needs entity events to be cleared). */
  kind: 'page' | 'value' | 'invalidates';
}

const SPECS = [
  [CACHE_KEY_FROM_METADATA, '@CacheKeyFrom', 'page'],
  [INVALIDATES_METADATA, '@Invalidates', 'invalidates'],
] as const;

/**
 * Every model the app names in decorators — `@CacheKeyFrom` on controllers and their handlers,
 * `@Invalidates` on handlers and provider methods, `@Cached` models given as a list — in the
 * order Nest's discovery finds them.
 */
export function declaredModels(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
): DeclaredModel[] {
  const declared: DeclaredModel[] = [];
  const seen = new Set<Function>();
  const wrappers = [...discovery.getControllers(), ...discovery.getProviders()];
  for (const wrapper of wrappers) {
    // The instance's class (a factory provider's metatype is the factory), as the explorer reads it.
    const instance = wrapper.instance as object | null | undefined;
    const type = (
      instance !== null && typeof instance === 'object'
        ? (Object.getPrototypeOf(instance) as { constructor?: Function } | null)?.constructor
        : wrapper.metatype
    ) as Function | null | undefined;
    if (typeof type !== 'function' || type === Object || !type.prototype || seen.has(type))
      continue;
    seen.add(type);
    const prototype = type.prototype as Record<string, unknown>;
    const targets: [object, string][] = [[type, type.name]];
    for (const method of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[method];
      if (typeof handler === 'function') targets.push([handler, `${type.name}.${method}`]);
    }
    for (const [target, view] of targets) {
      for (const [key, decorator, kind] of SPECS) {
        const spec = Reflect.getMetadata(key, target) as ModelSpec | undefined;
        for (const name of specNames(spec))
          declared.push({ name, where: `${decorator} on ${view}`, kind });
      }
      const cached = Reflect.getMetadata(CACHED_METADATA, target) as CachedSpec | undefined;
      if (Array.isArray(cached?.models)) {
        const names = cached.models.flatMap(model => entryDependencies(model).map(dependencyModel));
        for (const name of new Set(names)) {
          declared.push({ name, where: `@Cached models of ${view}`, kind: 'value' });
        }
      }
    }
  }
  return declared;
}

function specNames(spec: ModelSpec | undefined): string[] {
  if (!spec) return [];
  const names = [
    ...spec.models,
    ...spec.entities.map(entity => entity.model),
    ...(spec.calls ?? []).map(call => call.model),
  ];
  return [...new Set(names)];
}
