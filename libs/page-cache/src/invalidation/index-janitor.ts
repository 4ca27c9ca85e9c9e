import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CacheService } from '../cache.service.js';

/**
 * Keeps the dependency index in check. Index sets of expiring entries expire with their longest
 * entry; those of never-expiring entries (`ttl: 0`) would keep the keys of entries deleted by
 * hand, by pattern or by eviction, so they are pruned periodically (`indexCleanupInterval`).
 */
@Injectable()
export class IndexJanitor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CacheIndexJanitor');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly cache: CacheService,
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {}

  onModuleInit(): void {
    const every = this.options.indexCleanupIntervalMs;
    if (every === 0) return;
    this.timer = setInterval(() => {
      this.cache.pruneIndex().catch((error: unknown) => {
        this.logger.warn(`Index cleanup skipped: ${(error as Error).message}`);
      });
    }, every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
