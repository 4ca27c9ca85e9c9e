import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, ModulesContainer } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { declaredModels, type DeclaredModel } from './declared-models.js';
import { announcedEntities } from './entity-catalog.js';
import { ModelNames, nearlyEqualNames } from './model-names.js';

/** The one `ModelNames` of each app (its caches share what they have said). */
const perApp = new WeakMap<object, ModelNames>();

/** The app's event emitter, or `undefined` when `EventEmitterModule.forRoot()` is not imported. */
export function eventEmitterOf(moduleRef: ModuleRef): EventEmitter2 | undefined {
  try {
    return moduleRef.get(EventEmitter2, { strict: false });
  } catch {
    return undefined;
  }
}

/** The app's `ModelNames`: the entities its ORM integrations announced on its event emitter. */
export function modelNamesOf(moduleRef: ModuleRef, container: ModulesContainer): ModelNames {
  let names = perApp.get(container);
  if (!names) {
    const logger = new Logger('CacheModule');
    // The emitter is looked up once, on the first check (after the app's providers exist).
    let events: { found?: EventEmitter2 } | undefined;
    names = new ModelNames(
      () => announcedEntities((events ??= { found: eventEmitterOf(moduleRef) }).found),
      message => logger.warn(message),
    );
    perApp.set(container, names);
  }
  return names;
}

/**
 * Checks, at startup, the models the app names: pages with model dependencies need
 * `EventEmitterModule.forRoot()` (nothing else would ever clear them); every name must be an
 * entity of the app's ORM integrations, or not a near miss of one (see `ModelNames`); without an
 * ORM integration, two names that nearly equal each other are said as a warning.
 */
@Injectable()
export class ModelDeclarationsCheck implements OnModuleInit, OnApplicationBootstrap {
  private declared: DeclaredModel[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly names: ModelNames,
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {}

  onModuleInit(): void {
    this.declared = [
      ...this.options.defaultModels.map(name => ({
        name,
        where: 'the CacheModule option defaultModels',
        kind: 'page' as const,
      })),
      ...declaredModels(this.discovery, this.scanner),
    ];
    const dependent = this.declared.find(model => model.kind === 'page');
    if (!dependent || eventEmitterOf(this.moduleRef)) return;
    throw new Error(
      `${dependent.where} declares model dependencies, but EventEmitterModule.forRoot() from @nestjs/event-emitter is not imported: ` +
        'entity events could never clear those pages. Import EventEmitterModule.forRoot() in your AppModule.',
    );
  }

  /** After every module's init: ORM integrations have announced their entities by then. */
  onApplicationBootstrap(): void {
    if (announcedEntities(eventEmitterOf(this.moduleRef))) {
      // A name the app builds entries from and also invalidates itself is its own model.
      const invalidated = new Set(
        this.declared.filter(model => model.kind === 'invalidates').map(model => model.name),
      );
      for (const { name, kind } of this.declared) {
        if (kind !== 'invalidates' && invalidated.has(name)) this.names.accept(name);
      }
      for (const { name, where } of this.declared) this.names.check(name, where);
      return;
    }
    const first = new Map<string, string>();
    for (const { name, where } of this.declared) if (!first.has(name)) first.set(name, where);
    for (const warning of nearlyEqualNames(first)) this.names.warnOnce(warning);
  }
}
