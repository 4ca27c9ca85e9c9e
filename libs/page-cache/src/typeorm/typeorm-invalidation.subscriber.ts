import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  DataSource,
  type EntityMetadata,
  type EntitySubscriberInterface,
  type InsertEvent,
  type ObjectLiteral,
  type QueryRunner,
  type RemoveEvent,
  type SoftRemoveEvent,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type UpdateEvent,
} from 'typeorm';
import {
  ENTITY_DELETED,
  ENTITY_SAVED,
  type EntityDescriptor,
} from '../invalidation/entity-events.js';

type Pending = [event: typeof ENTITY_SAVED | typeof ENTITY_DELETED, payload: EntityDescriptor];
const PENDING = 'nestjs-page-cache:pending';

/**
 * Emits `ENTITY_SAVED` / `ENTITY_DELETED` for every entity TypeORM inserts, updates or removes,
 * so cached pages are cleared without the application emitting anything.
 *
 * Inside a transaction the events wait for the commit (and are dropped on rollback): invalidating
 * before the commit would let a concurrent request re-cache the pre-commit data. The emit is
 * awaited, so `save()` resolves only once the cache no longer holds pages built from the old row.
 *
 * ```ts
 * @Module({ imports: [TypeOrmModule.forRoot(…), EventEmitterModule.forRoot(), CacheModule.forRoot(…)],
 *          providers: [TypeOrmCacheInvalidation] })
 * ```
 */
@Injectable()
export class TypeOrmCacheInvalidation implements EntitySubscriberInterface {
  constructor(
    dataSource: DataSource,
    private readonly events: EventEmitter2,
  ) {
    dataSource.subscribers.push(this);
  }

  afterInsert(event: InsertEvent<ObjectLiteral>): Promise<void> {
    return this.record(event.queryRunner, ENTITY_SAVED, event.metadata, event.entity);
  }

  afterUpdate(event: UpdateEvent<ObjectLiteral>): Promise<void> {
    return this.record(
      event.queryRunner,
      ENTITY_SAVED,
      event.metadata,
      event.entity ?? event.databaseEntity,
      event.databaseEntity,
    );
  }

  afterRemove(event: RemoveEvent<ObjectLiteral>): Promise<void> {
    return this.record(
      event.queryRunner,
      ENTITY_DELETED,
      event.metadata,
      event.databaseEntity,
      event.entity,
      event.entityId as unknown,
    );
  }

  afterSoftRemove(event: SoftRemoveEvent<ObjectLiteral>): Promise<void> {
    return this.record(
      event.queryRunner,
      ENTITY_DELETED,
      event.metadata,
      event.entity,
      event.databaseEntity,
    );
  }

  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const pending = event.queryRunner.data[PENDING] as Pending[] | undefined;
    if (!pending) return;
    delete event.queryRunner.data[PENDING];
    for (const [name, payload] of pending) await this.events.emitAsync(name, payload);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    delete event.queryRunner.data[PENDING];
  }

  private async record(
    queryRunner: QueryRunner,
    name: Pending[0],
    metadata: EntityMetadata,
    ...candidates: unknown[]
  ): Promise<void> {
    const payload: EntityDescriptor = { model: metadata.targetName || metadata.name };
    const id = idOf(metadata, candidates);
    if (id !== undefined) payload.id = id;
    if (queryRunner.isTransactionActive) {
      const pending = ((queryRunner.data[PENDING] as Pending[] | undefined) ??= []);
      pending.push([name, payload]);
      queryRunner.data[PENDING] = pending;
      return;
    }
    await this.events.emitAsync(name, payload);
  }
}

/** The primary key of the first candidate that has one (a single-column key only). */
function idOf(metadata: EntityMetadata, candidates: unknown[]): string | number | undefined {
  if (metadata.primaryColumns.length !== 1) return undefined;
  const column = metadata.primaryColumns[0];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === null) continue;
    const value =
      typeof candidate === 'object' ? column.getEntityValue(candidate as ObjectLiteral) : candidate;
    if (typeof value === 'string' || typeof value === 'number') return value;
  }
  return undefined;
}
