import { Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { OnEvent } from '@nestjs/event-emitter';
import { CacheService } from '../cache.service.js';
import { modelName } from '../models.js';
import { JournalDelivery } from './journal-delivery.js';
import {
  DELIVERED,
  describeEntity,
  ENTITY_DELETED,
  ENTITY_SAVED,
  type EntityEventPayload,
} from './entity-events.js';
import { invalidationRecord } from './outbox-table.js';

/** Longest pause between retries of an invalidation that failed because the store was down (ms). */
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Clears every page and value built from an entity when it is saved or deleted, on the
 * application's event emitter (`EventEmitterModule.forRoot()`).
 *
 * An invalidation that fails because the store is unreachable is retried until it succeeds:
 * entries written before the outage must not be served once the store is back. Until it
 * succeeds its model is pending (`CacheService.pendingInvalidations`): this process serves no
 * page, `@Cached` result or value built from it from the cache.
 */
@Injectable()
export class InvalidationListener implements OnModuleDestroy {
  protected readonly logger = new Logger('CacheInvalidation');
  /** Invalidations to retry: `model\0id` → what to invalidate, and its pending record's id. */
  private readonly pending = new Map<string, { payload: EntityEventPayload; record: string }>();
  private retryTimer?: NodeJS.Timeout;
  private retryDelay = 100;

  constructor(
    protected readonly cache: CacheService,
    @Optional() private readonly journal?: JournalDelivery,
  ) {}

  @OnEvent(ENTITY_SAVED)
  async onSaved(payload: EntityEventPayload): Promise<void> {
    await this.invalidate(payload);
  }

  @OnEvent(ENTITY_DELETED)
  async onDeleted(payload: EntityEventPayload): Promise<void> {
    await this.invalidate(payload);
  }

  onModuleDestroy(): void {
    clearTimeout(this.retryTimer);
  }

  /**
   * Invalidates what an event names. Failures are logged and retried, never thrown at the caller:
   * a save must not fail because the cache is down.
   */
  async invalidate(payload: EntityEventPayload): Promise<void> {
    if ((payload as { [DELIVERED]?: boolean })[DELIVERED]) return;
    let entity: ReturnType<typeof describeEntity>;
    try {
      entity = describeEntity(payload);
    } catch (error) {
      this.logger.error((error as Error).message);
      return;
    }
    if (this.journal?.delivery && (await this.recordAndDeliver(entity))) return;
    try {
      await this.cache.invalidate(entity.model, entity.id);
    } catch (error) {
      if (error instanceof TypeError) {
        this.logger.error(error.message);
        return;
      }
      const name = typeof entity.model === 'function' ? entity.model.name : entity.model;
      this.logger.warn(
        `Invalidation of ${name}${entity.id === undefined ? '' : ` ${entity.id}`} failed, retrying; until it succeeds, what is built from ${name} bypasses the cache: ${(error as Error).message}`,
      );
      const key = `${name}\u0000${entity.id ?? ''}`;
      if (!this.pending.has(key)) {
        // The model as a whole, whether the save named an entity or not (as the journal does).
        const record = randomUUID();
        this.cache.pendingInvalidations.add(record, name);
        this.pending.set(key, { payload: { model: entity.model, id: entity.id }, record });
      }
      this.scheduleRetry();
    }
  }

  /**
   * With an invalidation journal: records the invalidation durably, then delivers it; if the store
   * cannot be reached the record stays, its model bypasses the cache, and any process delivers it.
   * @returns false when the journal itself could not record it (the in-memory retry takes over).
   */
  private async recordAndDeliver(entity: ReturnType<typeof describeEntity>): Promise<boolean> {
    const model = modelName(entity.model);
    const record = invalidationRecord(model, entity.id);
    try {
      await this.journal!.journal!.record([record]);
    } catch (error) {
      this.logger.warn(
        `Could not record the invalidation of ${model}: ${(error as Error).message}`,
      );
      return false;
    }
    this.cache.pendingInvalidations.add(record.id, model);
    await this.journal!.delivery!.deliver([record]);
    return true;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => void this.retry(), this.retryDelay);
    this.retryTimer.unref();
  }

  private async retry(): Promise<void> {
    this.retryTimer = undefined;
    for (const [key, { payload, record }] of this.pending) {
      const { model, id: entityId } = payload as { model: string; id?: string | number };
      try {
        await this.cache.retryInvalidation(model, entityId);
        this.pending.delete(key);
        this.cache.pendingInvalidations.delivered([record]);
      } catch {
        this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_DELAY_MS);
        this.scheduleRetry();
        return;
      }
    }
    this.retryDelay = 100;
  }
}
