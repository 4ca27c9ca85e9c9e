import {
  Inject,
  Injectable,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { announceEntities } from '../invalidation/entity-catalog.js';
import {
  DataSource,
  type EntityMetadata,
  type EntitySubscriberInterface,
  type InsertEvent,
  type ObjectLiteral,
  type QueryRunner,
  type RecoverEvent,
  type RemoveEvent,
  type SoftRemoveEvent,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type UpdateEvent,
} from 'typeorm';
import {
  DELIVERED,
  ENTITY_DELETED,
  ENTITY_SAVED,
  type EntityDescriptor,
} from '../invalidation/entity-events.js';
import type { JournalEntry } from '../invalidation/invalidation-journal.js';
import { OutboxDelivery, startOutboxDelivery } from '../invalidation/outbox-delivery.js';
import { registeredPipelines } from '../invalidation/registered-pipelines.js';
import type { Ttl } from '../ttl.js';
import { cascadedEntities, type NamedEntity } from './cascaded-entities.js';
import { touchedEntities } from './touched-entities.js';
import { TypeOrmOutbox } from './typeorm-outbox.js';
import { invalidationRecord } from '../invalidation/outbox-table.js';

type Pending = [
  event: typeof ENTITY_SAVED | typeof ENTITY_DELETED,
  payload: EntityDescriptor,
  record: JournalEntry,
];
const PENDING = 'nestjs-page-cache:pending';
/** Records written before a statement that runs outside a transaction (see `recordFirst`). */
const RECORDED_FIRST = 'nestjs-page-cache:recorded-first';

/** Options of the TypeORM integration (`TypeOrmCacheInvalidation.withOptions()`). */
export interface TypeOrmCacheInvalidationOptions {
  /**
   * Record every invalidation in an outbox table of your database, in the same transaction as
   * the change, so that it reaches the store even if this process dies before the store answers.
   * `false` keeps only the in-memory retry. Default `true`.
   */
  outbox?: boolean;
  /** Name of the outbox table. Default `page_cache_outbox`. */
  table?: string;
  /** How often any process delivers what the outbox holds (ms or `'1s'`). Default `'1s'`. */
  interval?: Ttl;
}

/** Injection token of {@link TypeOrmCacheInvalidationOptions}. */
export const TYPEORM_CACHE_INVALIDATION_OPTIONS = Symbol('TYPEORM_CACHE_INVALIDATION_OPTIONS');

/**
 * Emits `ENTITY_SAVED` / `ENTITY_DELETED` for every entity TypeORM inserts, updates or removes,
 * so cached pages are cleared without the application emitting anything. A child entity of table
 * inheritance names its parent models too, a write through a parent its child models; a
 * many-to-many link added or removed names the entity at each end (see `touchedEntities`); a
 * delete names what the database deletes or changes with it (see `cascadedEntities`).
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
export class TypeOrmCacheInvalidation
  implements EntitySubscriberInterface, OnModuleInit, OnModuleDestroy
{
  private outbox?: TypeOrmOutbox;
  private delivery?: OutboxDelivery;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventEmitter2,
    private readonly moduleRef: ModuleRef,
    @Optional()
    @Inject(TYPEORM_CACHE_INVALIDATION_OPTIONS)
    private readonly options: TypeOrmCacheInvalidationOptions = {},
  ) {
    dataSource.subscribers.push(this);
    // Entities as events name them; a join table is named only through the two it links.
    announceEntities(events, () =>
      dataSource.entityMetadatas
        .filter(metadata => !metadata.isJunction)
        .map(metadata => metadata.targetName || metadata.name),
    );
  }

  /** The integration with options: `providers: [...TypeOrmCacheInvalidation.withOptions({ … })]`. */
  static withOptions(options: TypeOrmCacheInvalidationOptions): Provider[] {
    return [{ provide: TYPEORM_CACHE_INVALIDATION_OPTIONS, useValue: options }, this];
  }

  /**
   * Creates the outbox table if needed and delivers what it holds — records a process left when it
   * died, or could not reach the store — before the app serves; then every `interval`.
   */
  async onModuleInit(): Promise<void> {
    if (this.options.outbox === false) return;
    this.outbox = new TypeOrmOutbox(this.dataSource, this.options.table);
    this.delivery = await startOutboxDelivery(
      this.outbox,
      registeredPipelines(this.moduleRef),
      this.options.interval,
      'TypeOrmCacheInvalidation option interval',
    );
  }

  onModuleDestroy(): void {
    this.delivery?.stop();
  }

  beforeInsert(event: InsertEvent<ObjectLiteral>): Promise<void> {
    return this.recordFirst(event.queryRunner, event.metadata);
  }

  beforeUpdate(event: UpdateEvent<ObjectLiteral>): Promise<void> {
    return this.recordFirst(event.queryRunner, event.metadata);
  }

  beforeRemove(event: RemoveEvent<ObjectLiteral>): Promise<void> {
    return this.recordFirst(event.queryRunner, event.metadata, true);
  }

  beforeSoftRemove(event: SoftRemoveEvent<ObjectLiteral>): Promise<void> {
    return this.recordFirst(event.queryRunner, event.metadata);
  }

  beforeRecover(event: RecoverEvent<ObjectLiteral>): Promise<void> {
    return this.recordFirst(event.queryRunner, event.metadata);
  }

  afterInsert(event: InsertEvent<ObjectLiteral>): Promise<void> {
    // A join table's row has no entity: its key (both ends of the link) is all there is.
    return this.record(
      event.queryRunner,
      ENTITY_SAVED,
      event.metadata,
      event.entity,
      event.entityId as unknown,
    );
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

  /** Also names what the database deletes or changes with the row (ON DELETE CASCADE / SET NULL). */
  afterRemove(event: RemoveEvent<ObjectLiteral>): Promise<void> {
    const { metadata, entity, databaseEntity } = event;
    const candidates = [databaseEntity, entity, event.entityId as unknown];
    if (metadata.isJunction) {
      return this.record(event.queryRunner, ENTITY_DELETED, metadata, ...candidates);
    }
    // `remove(entity)` deleted the entity's links itself (and named them); `delete(…)` did not.
    const linksRemoved = entity !== undefined || databaseEntity !== undefined;
    return this.recordNamed(event.queryRunner, [
      ...touchedEntities(metadata, candidates).map((payload): NamedEntity => [
        ENTITY_DELETED,
        payload,
      ]),
      ...cascadedEntities(metadata, linksRemoved),
    ]);
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

  /** `recover(entity)` and `restore(id)` bring a soft-deleted row back: it is saved again. */
  afterRecover(event: RecoverEvent<ObjectLiteral>): Promise<void> {
    return this.record(
      event.queryRunner,
      ENTITY_SAVED,
      event.metadata,
      event.entity,
      event.databaseEntity,
    );
  }

  /**
   * TypeORM broadcasts this for a savepoint released inside a transaction too (with the depth
   * already lowered): only the end of the outermost transaction is a commit. An inner level's
   * invalidations move to the level around it until then.
   */
  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const levels = event.queryRunner.data[PENDING] as Pending[][] | undefined;
    if (!levels) return;
    const depth = depthOf(event.queryRunner);
    const ended = levels.splice(depth + 1).flat();
    if (depth > 0) {
      (levels[depth] ??= []).push(...ended);
      return;
    }
    delete event.queryRunner.data[PENDING];
    await this.dispatch([...levels.flat(), ...ended]);
  }

  /** A rolled-back savepoint drops its own level's invalidations only. */
  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const levels = event.queryRunner.data[PENDING] as Pending[][] | undefined;
    if (!levels) return;
    const depth = depthOf(event.queryRunner);
    levels.splice(depth + 1);
    if (depth === 0) delete event.queryRunner.data[PENDING];
  }

  private record(
    queryRunner: QueryRunner,
    name: Pending[0],
    metadata: EntityMetadata,
    ...candidates: unknown[]
  ): Promise<void> {
    // A join table's row removed unlinks two entities that still exist: both are saved, not deleted.
    const event = metadata.isJunction ? ENTITY_SAVED : name;
    return this.recordNamed(
      queryRunner,
      touchedEntities(metadata, candidates).map((payload): NamedEntity => [event, payload]),
    );
  }

  /**
   * A statement outside a transaction (`repository.update()`, `insert()`, `delete()`, a query
   * builder's write) commits on its own: a record written after it could be lost with the
   * process, or fail, leaving the new row and the old page. So the models it may touch (the
   * statement's entity with its parents and children, and what a delete cascades to) are recorded
   * first, committed on their own, before the statement runs; if recording fails, the statement
   * does not run. A record for a statement that then fails only clears its models once more.
   */
  private async recordFirst(
    queryRunner: QueryRunner,
    metadata: EntityMetadata,
    removing = false,
  ): Promise<void> {
    if (!this.outbox || !this.delivery || queryRunner.isTransactionActive) return;
    const models = new Set(touchedEntities(metadata, []).map(({ model }) => String(model)));
    if (removing) {
      for (const [, { model }] of cascadedEntities(metadata)) models.add(String(model));
    }
    // A statement of many rows calls this once per row: its models are recorded once.
    const recorded = ((queryRunner.data[RECORDED_FIRST] as JournalEntry[] | undefined) ??= []);
    for (const record of recorded) models.delete(record.model);
    if (models.size === 0) return;
    const records = [...models].map(model => invalidationRecord(model, undefined));
    await this.outbox.record(records);
    this.delivery.recorded(records, true);
    recorded.push(...records);
  }

  private async recordNamed(queryRunner: QueryRunner, named: NamedEntity[]): Promise<void> {
    const pending = named.map(([event, payload]): Pending => {
      const { model, id } = payload;
      return [event, payload, invalidationRecord(String(model), id)];
    });
    // Outside a transaction the statement's models were recorded before it ran.
    const recordedFirst = queryRunner.isTransactionActive
      ? undefined
      : (queryRunner.data[RECORDED_FIRST] as JournalEntry[] | undefined);
    if (recordedFirst) {
      delete queryRunner.data[RECORDED_FIRST];
      await this.dispatch(pending, recordedFirst);
      return;
    }
    // In the change's own transaction: it commits with the change, or not at all.
    if (this.outbox)
      await this.outbox.recordWith(
        queryRunner,
        pending.map(([, , record]) => record),
      );
    if (queryRunner.isTransactionActive) {
      // One list per transaction level (1 = the outermost; savepoints nest below it).
      const levels = ((queryRunner.data[PENDING] as Pending[][] | undefined) ??= []);
      queryRunner.data[PENDING] = levels;
      (levels[Math.max(1, depthOf(queryRunner))] ??= []).push(...pending);
      return;
    }
    await this.dispatch(pending);
  }

  /**
   * After the commit: delivers the outbox records (this process first; if the store cannot be
   * reached they stay recorded, their models bypass the cache, and any process delivers them
   * later), then emits the events for the application's own listeners.
   */
  private async dispatch(pending: Pending[], recordedFirst: JournalEntry[] = []): Promise<void> {
    if (this.delivery) {
      const records = [...recordedFirst, ...pending.map(([, , record]) => record)];
      this.delivery.recorded(records);
      await this.delivery.deliver(records);
      for (const [, payload] of pending) {
        Object.defineProperty(payload, DELIVERED, { value: true, enumerable: false });
      }
    }
    for (const [name, payload] of pending) await this.events.emitAsync(name, payload);
  }
}

/** How deep in (nested) transactions a runner is: TypeORM keeps it on every runner it ships. */
function depthOf(runner: QueryRunner): number {
  const depth = (runner as unknown as { transactionDepth?: unknown }).transactionDepth;
  return typeof depth === 'number' ? depth : runner.isTransactionActive ? 1 : 0;
}
