import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { modelName } from '../models.js';
import {
  DELIVERED,
  describeEntity,
  ENTITY_DELETED,
  ENTITY_SAVED,
  RECORD_FIRST,
  type EntityEventPayload,
  type RecordFirstRequest,
} from './entity-events.js';
import { invalidationRecord } from './invalidation-journal.js';
import { JournalDelivery } from './journal-delivery.js';

/**
 * Clears every page and value built from an entity when it is saved or deleted, on the
 * application's event emitter (`EventEmitterModule.forRoot()`).
 *
 * Each invalidation is recorded — in the module's `invalidationJournal` when one is configured,
 * else in memory — and delivered through the one delivery every recorded invalidation takes
 * (`JournalDelivery`): if the store cannot be reached it stays recorded and is retried with
 * backoff, and until then its model is pending (`PendingInvalidations`): this process serves no
 * page, `@Cached` result or value built from it from the cache.
 */
@Injectable()
export class InvalidationListener {
  protected readonly logger = new Logger('CacheInvalidation');

  constructor(private readonly delivery: JournalDelivery) {}

  @OnEvent(ENTITY_SAVED)
  async onSaved(payload: EntityEventPayload): Promise<void> {
    await this.invalidate(payload);
  }

  @OnEvent(ENTITY_DELETED)
  async onDeleted(payload: EntityEventPayload): Promise<void> {
    await this.invalidate(payload);
  }

  /** See `RECORD_FIRST`: the outcome travels in the request (handlers' errors are swallowed). */
  @OnEvent(RECORD_FIRST)
  onRecordFirst(request: RecordFirstRequest): void {
    request.recorded.push(
      this.delivery.recordFirst(
        request.targets.map(({ model, id }) => invalidationRecord(modelName(model), id)),
      ),
    );
  }

  /**
   * Invalidates what an event names. Failures are retried, never thrown at the caller: a save
   * must not fail because the cache is down.
   */
  async invalidate(payload: EntityEventPayload): Promise<void> {
    if ((payload as { [DELIVERED]?: boolean })[DELIVERED]) return;
    let entity: ReturnType<typeof describeEntity>;
    let model: string;
    try {
      entity = describeEntity(payload);
      model = modelName(entity.model);
    } catch (error) {
      this.logger.error((error as Error).message);
      return;
    }
    await this.delivery.recordAndDeliver(model, entity.id);
  }
}
