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
import type { JournalEntry } from './invalidation-journal.js';
import { MemoryJournal } from './memory-journal.js';
import { OutboxDelivery } from './outbox-delivery.js';
import { invalidationRecord } from './outbox-table.js';

/** How often the in-memory journal is delivered while it holds records (then with backoff). */
const MEMORY_INTERVAL_MS = 100;

/**
 * Records and delivers the invalidations of events (emitted by hand, by `@Invalidates`, or by the
 * entity-event listener): in the module's `invalidationJournal` when one is configured — what it
 * holds at startup too, then every second — else, or when that journal cannot record, in memory.
 * Both go through `OutboxDelivery`: one delivery, one retry with backoff, one pending bookkeeping.
 */
@Injectable()
export class JournalDelivery implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CacheInvalidation');
  private readonly durable?: OutboxDelivery;
  private readonly memory: OutboxDelivery;

  constructor(cache: CacheService, @Inject(CACHE_OPTIONS) options: ResolvedCacheOptions) {
    const journal = options.invalidationJournal;
    if (journal) this.durable = new OutboxDelivery(journal, [cache], 1_000);
    this.memory = new OutboxDelivery(new MemoryJournal(), [cache], MEMORY_INTERVAL_MS);
  }

  async onModuleInit(): Promise<void> {
    await this.durable?.start();
    await this.memory.start();
  }

  onModuleDestroy(): void {
    this.durable?.stop();
    this.memory.stop();
  }

  /**
   * Records the invalidation of `model` (or of its entity `id`), then delivers it. If the store
   * cannot be reached the record stays, its model bypasses the cache, and it is retried.
   */
  async recordAndDeliver(model: string, id: string | number | undefined): Promise<void> {
    const record = invalidationRecord(model, id);
    await (await this.recorded(record)).deliver([record]);
  }

  /** The delivery whose journal now holds `record`: the durable one, else memory's. */
  private async recorded(record: JournalEntry): Promise<OutboxDelivery> {
    if (this.durable) {
      try {
        await this.durable.record([record]);
        return this.durable;
      } catch (error) {
        this.logger.warn(
          `Could not record the invalidation of ${record.model}, keeping it in memory: ${(error as Error).message}`,
        );
      }
    }
    await this.memory.record([record]);
    return this.memory;
  }
}
