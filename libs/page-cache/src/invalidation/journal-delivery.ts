import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import { InvalidationPipeline } from './invalidation-pipeline.js';
import type { RecordedFirst } from './entity-events.js';
import { invalidationRecord, type JournalEntry } from './invalidation-journal.js';
import { MemoryJournal } from './memory-journal.js';
import { OutboxDelivery } from './outbox-delivery.js';
import { registeredPipelines } from './registered-pipelines.js';

/** How often the in-memory journal is delivered while it holds records (then with backoff). */
const MEMORY_INTERVAL_MS = 100;

/**
 * Records and delivers the invalidations of events: in the module's `invalidationJournal` when one
 * is configured (delivered at startup too, then every second), else — or when it cannot record —
 * in memory, both through `OutboxDelivery`. A durable journal's records reach every cache of the
 * app, as an outbox's do: caches sharing one journal each deliver what the others recorded.
 */
@Injectable()
export class JournalDelivery implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CacheInvalidation');
  private durable?: OutboxDelivery;
  private readonly memory: OutboxDelivery;

  constructor(
    pipeline: InvalidationPipeline,
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    this.memory = new OutboxDelivery(new MemoryJournal(), [pipeline], MEMORY_INTERVAL_MS, false);
  }

  async onModuleInit(): Promise<void> {
    const journal = this.options.invalidationJournal;
    if (journal) {
      this.durable = new OutboxDelivery(journal, registeredPipelines(this.moduleRef), 1_000);
      await this.durable.start();
    }
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
    let delivery = this.memory;
    if (this.durable) {
      try {
        await this.durable.record([record]);
        delivery = this.durable;
      } catch (error) {
        this.logger.warn(
          `Could not record the invalidation of ${model}, keeping it in memory: ${(error as Error).message}`,
        );
      }
    }
    // Pending only once its first delivery failed: until then it is any invalidation in flight.
    if (delivery === this.memory) await this.memory.record([record], false);
    await delivery.deliver([record]);
  }

  /**
   * Records `records` before the write that may cause them runs (a failure rejects: the write must
   * not run without them); their models bypass every cache from now on.
   * @returns what to do with them once the write is done.
   */
  async recordFirst(records: readonly JournalEntry[]): Promise<RecordedFirst> {
    const delivery = this.durable ?? this.memory;
    await delivery.record(records);
    return {
      deliver: () => delivery.deliver(records),
      settle: () => delivery.forget(records),
    };
  }
}
