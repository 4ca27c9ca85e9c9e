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
import { checkOptionNames } from '../option-names.js';
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
  ChangeOutbox,
  ORM_INVALIDATION_OPTION_NAMES,
  type OrmInvalidationOptions,
} from '../invalidation/change-outbox.js';
import { ENTITY_DELETED, ENTITY_SAVED } from '../invalidation/entity-events.js';
import type { JournalEntry } from '../invalidation/invalidation-journal.js';
import type { OwedEvent } from '../invalidation/transaction-levels.js';
import { cascadedEntities } from './cascaded-entities.js';
import { touchedEntities } from './touched-entities.js';
import { TypeOrmOutbox } from './typeorm-outbox.js';

const PENDING = 'nestjs-page-cache:pending';
/** Records written before a statement that runs outside a transaction (see `recordFirst`). */
const RECORDED_FIRST = 'nestjs-page-cache:recorded-first';

/** Options of the TypeORM integration (`TypeOrmCacheInvalidation.withOptions()`). */
export type TypeOrmCacheInvalidationOptions = OrmInvalidationOptions;

/** Injection token of {@link TypeOrmCacheInvalidationOptions}. */
export const TYPEORM_CACHE_INVALIDATION_OPTIONS = Symbol('TYPEORM_CACHE_INVALIDATION_OPTIONS');

/**
 * Emits `ENTITY_SAVED` / `ENTITY_DELETED` for every entity TypeORM inserts, updates or removes,
 * so cached pages are cleared without the application emitting anything. A child entity of table
 * inheritance names its parent models too, a write through a parent its child models; a
 * many-to-many link added or removed names the entity at each end (see `touchedEntities`); a
 * delete names what the database deletes or changes with it (see `cascadedEntities`).
 *
 * Inside a transaction the events wait for the commit (and are dropped on rollback, except on a
 * driver whose one connection lets requests read uncommitted rows: see `afterTransactionRollback`):
 * invalidating before the commit would let a concurrent request re-cache the pre-commit data. The
 * emit is awaited, so `save()` resolves only once the cache no longer holds pages built from the
 * old row.
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
  private readonly outbox = new ChangeOutbox<QueryRunner>();
  private oneConnection?: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventEmitter2,
    private readonly moduleRef: ModuleRef,
    @Optional()
    @Inject(TYPEORM_CACHE_INVALIDATION_OPTIONS)
    private readonly options: TypeOrmCacheInvalidationOptions = {},
  ) {
    checkOptionNames(options, ORM_INVALIDATION_OPTION_NAMES, 'TypeOrmCacheInvalidation');
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

  onModuleInit(): Promise<void> {
    return this.outbox.start(
      this.options,
      this.moduleRef,
      table => new TypeOrmOutbox(this.dataSource, table),
      'TypeOrmCacheInvalidation',
    );
  }

  onModuleDestroy(): void {
    this.outbox.stop();
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
    return this.record(event.queryRunner, ENTITY_SAVED, event.metadata, [
      event.entity,
      event.entityId as unknown,
    ]);
  }

  afterUpdate(event: UpdateEvent<ObjectLiteral>): Promise<void> {
    return this.record(event.queryRunner, ENTITY_SAVED, event.metadata, [
      event.entity ?? event.databaseEntity,
      event.databaseEntity,
    ]);
  }

  /** Also names what the database deletes or changes with the row (ON DELETE CASCADE / SET NULL). */
  afterRemove(event: RemoveEvent<ObjectLiteral>): Promise<void> {
    const { metadata, entity, databaseEntity } = event;
    // `remove(entity)` deleted the entity's links itself (and named them); `delete(…)` did not.
    const linksRemoved = entity !== undefined || databaseEntity !== undefined;
    return this.record(
      event.queryRunner,
      ENTITY_DELETED,
      metadata,
      [databaseEntity, entity, event.entityId as unknown],
      metadata.isJunction ? [] : cascadedEntities(metadata, linksRemoved),
    );
  }

  afterSoftRemove(event: SoftRemoveEvent<ObjectLiteral>): Promise<void> {
    return this.record(event.queryRunner, ENTITY_DELETED, event.metadata, [
      event.entity,
      event.databaseEntity,
    ]);
  }

  /** `recover(entity)` and `restore(id)` bring a soft-deleted row back: it is saved again. */
  afterRecover(event: RecoverEvent<ObjectLiteral>): Promise<void> {
    return this.record(event.queryRunner, ENTITY_SAVED, event.metadata, [
      event.entity,
      event.databaseEntity,
    ]);
  }

  /**
   * TypeORM broadcasts this for a savepoint released inside a transaction too (with the depth
   * already lowered): only the end of the outermost transaction is a commit. An inner level's
   * invalidations move to the level around it until then.
   */
  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const levels = event.queryRunner.data[PENDING] as OwedEvent[][] | undefined;
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

  /**
   * A rolled-back savepoint drops its own level's invalidations only — unless every query of the
   * app runs on this one connection (TypeORM's SQLite drivers): then a concurrent request read the
   * rows the rollback undid, and may have cached a page built from them. Those rows changed back,
   * so what they name is invalidated now, as saved, recorded in the outbox first.
   */
  async afterTransactionRollback(event: TransactionRollbackEvent): Promise<void> {
    const { queryRunner } = event;
    const levels = queryRunner.data[PENDING] as OwedEvent[][] | undefined;
    if (!levels) return;
    const depth = depthOf(queryRunner);
    const undone = levels.splice(depth + 1).flat();
    if (depth === 0) delete queryRunner.data[PENDING];
    if (undone.length === 0 || !this.sharesOneConnection()) return;
    // Fresh payloads: one delivered (and marked so) is not the one a later end delivers again.
    const changedBack = (): OwedEvent[] =>
      undone.map(({ payload }) => ({ event: ENTITY_SAVED, payload: { ...payload } }));
    // A savepoint's record is written in the transaction around it, and leaves with it if that
    // rolls back: the level around it invalidates them again when it ends, whichever way.
    if (depth > 0) (levels[depth] ??= []).push(...changedBack());
    const owed = changedBack();
    let recorded: OwedEvent[];
    try {
      recorded = await this.outbox.recordIn(queryRunner, owed);
    } catch {
      // Unrecorded: the events' own listener records them (journal or memory) and retries.
      for (const { event: name, payload } of owed) await this.events.emitAsync(name, payload);
      return;
    }
    await this.dispatch(recorded);
  }

  /** Whether the driver runs every query on one connection (its one query runner). */
  private sharesOneConnection(): boolean {
    const { driver } = this.dataSource;
    return (this.oneConnection ??=
      driver.createQueryRunner('master') === driver.createQueryRunner('master'));
  }

  private record(
    queryRunner: QueryRunner,
    name: OwedEvent['event'],
    metadata: EntityMetadata,
    candidates: unknown[],
    cascaded: OwedEvent[] = [],
  ): Promise<void> {
    // A join table's row removed unlinks two entities that still exist: both are saved, not deleted.
    const event = metadata.isJunction ? ENTITY_SAVED : name;
    return this.recordNamed(queryRunner, [
      ...touchedEntities(metadata, candidates).map(payload => ({ event, payload })),
      ...cascaded,
    ]);
  }

  /**
   * A statement outside a transaction (`repository.update()`, a query builder's write) commits on
   * its own: a record written after it could be lost with the process. So the models it may touch
   * are recorded first; if that fails, the statement does not run.
   */
  private async recordFirst(
    queryRunner: QueryRunner,
    metadata: EntityMetadata,
    removing = false,
  ): Promise<void> {
    if (!this.outbox.enabled || queryRunner.isTransactionActive) return;
    const models = new Set(touchedEntities(metadata, []).map(({ model }) => String(model)));
    if (removing) {
      for (const { payload } of cascadedEntities(metadata)) models.add(String(payload.model));
    }
    // A statement of many rows calls this once per row: its models are recorded once.
    const recorded = ((queryRunner.data[RECORDED_FIRST] as JournalEntry[] | undefined) ??= []);
    for (const record of recorded) models.delete(record.model);
    if (models.size > 0) recorded.push(...(await this.outbox.recordFirst(models)));
  }

  private async recordNamed(queryRunner: QueryRunner, named: OwedEvent[]): Promise<void> {
    // Outside a transaction the statement's models were recorded before it ran.
    const recordedFirst = queryRunner.isTransactionActive
      ? undefined
      : (queryRunner.data[RECORDED_FIRST] as JournalEntry[] | undefined);
    if (recordedFirst) {
      delete queryRunner.data[RECORDED_FIRST];
      await this.dispatch(this.outbox.withRecords(named), recordedFirst);
      return;
    }
    const owed = await this.outbox.recordIn(queryRunner, named);
    if (queryRunner.isTransactionActive) {
      // One list per transaction level (1 = the outermost; savepoints nest below it).
      const levels = ((queryRunner.data[PENDING] as OwedEvent[][] | undefined) ??= []);
      (levels[Math.max(1, depthOf(queryRunner))] ??= []).push(...owed);
      return;
    }
    await this.dispatch(owed);
  }

  /** After the commit: delivers the outbox records, then emits the events for the app's listeners. */
  private async dispatch(owed: OwedEvent[], recordedFirst?: JournalEntry[]): Promise<void> {
    await this.outbox.deliver(owed, recordedFirst);
    for (const { event, payload } of owed) await this.events.emitAsync(event, payload);
  }
}

/** How deep in (nested) transactions a runner is: TypeORM keeps it on every runner it ships. */
function depthOf(runner: QueryRunner): number {
  const depth = (runner as unknown as { transactionDepth?: unknown }).transactionDepth;
  return typeof depth === 'number' ? depth : runner.isTransactionActive ? 1 : 0;
}
