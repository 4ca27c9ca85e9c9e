import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { register, type Registry } from 'prom-client';
import { CacheService } from '../cache.service.js';
import { checkOptionNames } from '../option-names.js';
import {
  CACHE_METRICS_OPTION_NAMES,
  registerCacheMetrics,
  type CacheMetricsHandle,
  type CacheMetricsOptions,
} from './cache-metrics.js';

/** Injection token of the options given to `CacheMetricsModule.forRoot()`. */
export const CACHE_METRICS_OPTIONS = Symbol('CACHE_METRICS_OPTIONS');

/**
 * Registers the metrics of every cache of the application (the default one and the named ones)
 * when the application starts, and removes them when it closes.
 */
@Injectable()
export class CacheMetrics implements OnModuleInit, OnModuleDestroy {
  private handle?: CacheMetricsHandle;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(CACHE_METRICS_OPTIONS) private readonly options: CacheMetricsOptions,
  ) {}

  /** The registry the metrics are in. */
  get registry(): Registry {
    return this.options.registry ?? register;
  }

  /** The names of the registered metrics. */
  get names(): readonly string[] {
    return this.handle?.names ?? [];
  }

  onModuleInit(): void {
    const caches = this.discovery
      .getProviders()
      .map(wrapper => wrapper.instance as unknown)
      .filter(instance => instance instanceof CacheService);
    // One cache exported and provided again is found twice: registerCacheMetrics keeps it once.
    this.handle = registerCacheMetrics(caches, this.options);
  }

  onModuleDestroy(): void {
    this.handle?.unregister();
    this.handle = undefined;
  }
}

/**
 * Prometheus metrics of the caches, through `prom-client`:
 *
 * ```ts
 * import { CacheMetricsModule } from 'nestjs-page-cache/prometheus';
 *
 * @Module({ imports: [CacheModule.forRoot({ … }), CacheMetricsModule.forRoot()] })
 * ```
 *
 * The metrics go to prom-client's global registry unless `registry` is given; serve them from a
 * controller of yours (`registry.metrics()`), or with any Prometheus module that reads the same
 * registry. See {@link registerCacheMetrics} for the metric names.
 */
@Module({})
export class CacheMetricsModule {
  static forRoot(options: CacheMetricsOptions = {}): DynamicModule {
    checkOptionNames(options, CACHE_METRICS_OPTION_NAMES, 'CacheMetricsModule');
    return {
      module: CacheMetricsModule,
      imports: [DiscoveryModule],
      providers: [{ provide: CACHE_METRICS_OPTIONS, useValue: options }, CacheMetrics],
      exports: [CacheMetrics],
    };
  }
}
