import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { CacheService } from '../cache.service.js';
import type { InvalidationJournal } from './invalidation-journal.js';
import { OutboxDelivery } from './outbox-delivery.js';

/**
 * Delivers the module's `invalidationJournal` (when one is configured): what it holds at startup,
 * then every second; the invalidation listener records each hand-emitted event there first.
 */
@Injectable()
export class JournalDelivery implements OnModuleInit, OnModuleDestroy {
  readonly journal?: InvalidationJournal;
  readonly delivery?: OutboxDelivery;

  constructor(cache: CacheService, @Inject(CACHE_OPTIONS) options: ResolvedCacheOptions) {
    this.journal = options.invalidationJournal;
    if (this.journal) this.delivery = new OutboxDelivery(this.journal, [cache], 1_000);
  }

  async onModuleInit(): Promise<void> {
    await this.delivery?.start();
  }

  onModuleDestroy(): void {
    this.delivery?.stop();
  }
}
