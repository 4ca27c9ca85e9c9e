import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CACHE_KEY_FROM_METADATA } from '../pages/page-metadata.js';

/**
 * Fails startup when pages declare model dependencies (`@CacheKeyFrom`, `defaultModels`) but the
 * app has no `EventEmitterModule.forRoot()`: nothing would ever clear those pages, and caching
 * them for a long time would show stale data. An app that uses only `CacheService` needs no
 * emitter.
 */
@Injectable()
export class EventEmitterCheck implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {}

  onModuleInit(): void {
    const dependent = this.firstModelDependentPage();
    if (!dependent || this.hasEventEmitter()) return;
    throw new Error(
      `${dependent} declares model dependencies, but EventEmitterModule.forRoot() from @nestjs/event-emitter is not imported: ` +
        'entity events could never clear those pages. Import EventEmitterModule.forRoot() in your AppModule.',
    );
  }

  private hasEventEmitter(): boolean {
    try {
      this.moduleRef.get(EventEmitter2, { strict: false });
      return true;
    } catch {
      return false;
    }
  }

  private firstModelDependentPage(): string | undefined {
    if (this.options.defaultModels.length > 0) return 'The CacheModule option defaultModels';
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new () => object) | undefined;
      if (!type?.prototype) continue;
      if (Reflect.getMetadata(CACHE_KEY_FROM_METADATA, type))
        return `@CacheKeyFrom on ${type.name}`;
      const prototype = type.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (
          typeof handler === 'function' &&
          Reflect.getMetadata(CACHE_KEY_FROM_METADATA, handler)
        ) {
          return `@CacheKeyFrom on ${type.name}.${method}`;
        }
      }
    }
    return undefined;
  }
}
