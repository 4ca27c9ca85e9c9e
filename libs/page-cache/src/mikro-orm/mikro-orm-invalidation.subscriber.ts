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
  MikroORM,
  Utils,
  wrap,
  type EntityManager,
  type EntityName,
  type EventArgs,
  type EventSubscriber,
  type FlushEventArgs,
  type Transaction,
  type TransactionEventArgs,
  type UnitOfWork,
} from '@mikro-orm/core';
import {
  ChangeOutbox,
  ORM_INVALIDATION_OPTION_NAMES,
  type OrmInvalidationOptions,
} from '../invalidation/change-outbox.js';
import {
  ENTITY_DELETED,
  ENTITY_SAVED,
  type EntityDescriptor,
} from '../invalidation/entity-events.js';
import type { JournalEntry } from '../invalidation/invalidation-journal.js';
import { primaryKeyId } from '../invalidation/primary-key-id.js';
import { emitOwed, TransactionLevels, type OwedEvent } from '../invalidation/transaction-levels.js';
import {
  hookNativeWrites,
  NATIVE_WRITE,
  type NativeWrite,
  type NativeWriteListener,
} from './native-writes.hook.js';
import {
  collectionChangesOf,
  describeCollectionChanges,
  type CollectionChange,
} from './collection-changes.js';
import { cascadedModels } from './cascaded-models.js';
import { inheritedModels, rowModels } from './inherited-models.js';
import { MikroOrmOutbox } from './mikro-orm-outbox.js';
import { watchSavepoints } from './savepoints.hook.js';

/** Options of the MikroORM integration (`MikroOrmCacheInvalidation.withOptions()`). */
export type MikroOrmCacheInvalidationOptions = OrmInvalidationOptions;

/** Injection token of {@link MikroOrmCacheInvalidationOptions}. */
export const MIKRO_ORM_CACHE_INVALIDATION_OPTIONS = Symbol('MIKRO_ORM_CACHE_INVALIDATION_OPTIONS');

/**
 * Emits `ENTITY_SAVED` / `ENTITY_DELETED` for every entity MikroORM creates, updates, upserts or
 * deletes, so cached pages are cleared without the application emitting anything. The model is the
 * entity's class name, the id its primary key (a key of several columns encoded as
 * `compositeEntityId` does); `em.nativeUpdate()`, `em.nativeDelete()`, `em.insert()` and
 * `em.insertMany()` name the model alone, which clears it as a whole. A child entity of single-table
 * inheritance names the entities it extends too (same id), a native write through a parent the
 * entities extending it; a flush that changes a many-to-many collection names its owner and the
 * items added or removed (see `collectionChangesOf`); a delete names what the database deletes or
 * changes with it (see `cascadedModels`).
 *
 * Events of changes made in a transaction — a `flush()`'s own, or `em.transactional()`'s — wait for
 * the outermost commit and are dropped on rollback; a nested `em.transactional()` (a savepoint)
 * that rolls back drops only its own. They are awaited: `flush()` and `em.transactional()` resolve
 * once the cache no longer holds pages built from the old rows.
 *
 * ```ts
 * @Module({ imports: [EventEmitterModule.forRoot(), CacheModule.forRoot(…)],
 *          providers: [mikroOrmProvider, MikroOrmCacheInvalidation] })
 * ```
 * It needs the `MikroORM` instance (from `@mikro-orm/core`) as a provider.
 */
@Injectable()
export class MikroOrmCacheInvalidation
  implements EventSubscriber, NativeWriteListener, OnModuleInit, OnModuleDestroy
{
  private readonly levels = new TransactionLevels<Transaction>();
  /** Collection changes of a flush under way, until they are owed in its transaction. */
  private readonly collectionChanges = new WeakMap<UnitOfWork, CollectionChange[]>();
  private readonly outbox = new ChangeOutbox<Transaction>();

  constructor(
    private readonly orm: MikroORM,
    private readonly events: EventEmitter2,
    @Optional() private readonly moduleRef?: ModuleRef,
    @Optional()
    @Inject(MIKRO_ORM_CACHE_INVALIDATION_OPTIONS)
    private readonly options: MikroOrmCacheInvalidationOptions = {},
  ) {
    checkOptionNames(options, ORM_INVALIDATION_OPTION_NAMES, 'MikroOrmCacheInvalidation');
    orm.em.getEventManager().registerSubscriber(this);
    watchSavepoints(orm.em.getConnection('write'), this.levels);
    hookNativeWrites();
    // Entities as events name them: not pivot tables, embeddables or virtual entities.
    announceEntities(events, () =>
      Object.values(orm.getMetadata().getAll())
        .filter(meta => !meta.pivotTable && !meta.embeddable && !meta.virtual)
        .map(meta => meta.className),
    );
  }

  /** The integration with options: `providers: [...MikroOrmCacheInvalidation.withOptions({ … })]`. */
  static withOptions(options: MikroOrmCacheInvalidationOptions): Provider[] {
    return [{ provide: MIKRO_ORM_CACHE_INVALIDATION_OPTIONS, useValue: options }, this];
  }

  async onModuleInit(): Promise<void> {
    if (!this.moduleRef) return;
    await this.outbox.start(
      this.options,
      this.moduleRef,
      table => new MikroOrmOutbox(this.orm.em.getConnection('write'), table),
      'MikroOrmCacheInvalidation',
    );
  }

  onModuleDestroy(): void {
    this.outbox.stop();
  }

  afterCreate(args: EventArgs<object>): Promise<void> {
    return this.entityChanged(ENTITY_SAVED, args);
  }

  afterUpdate(args: EventArgs<object>): Promise<void> {
    return this.entityChanged(ENTITY_SAVED, args);
  }

  afterUpsert(args: EventArgs<object>): Promise<void> {
    return this.entityChanged(ENTITY_SAVED, args);
  }

  afterDelete(args: EventArgs<object>): Promise<void> {
    return this.entityChanged(ENTITY_DELETED, args);
  }

  /** A many-to-many collection change fires no entity event: it is read before the flush writes. */
  onFlush(args: FlushEventArgs): void {
    const changes = collectionChangesOf(args.uow);
    if (changes.length > 0) this.collectionChanges.set(args.uow, changes);
    else this.collectionChanges.delete(args.uow);
  }

  /** A flush's own transaction is about to commit: its collection changes are owed in it. */
  async beforeTransactionCommit(args: TransactionEventArgs): Promise<void> {
    if (args.uow && args.transaction !== undefined) {
      await this.oweCollectionChanges(args.uow, args.em, args.transaction);
    }
  }

  /** A flush in a transaction of the caller's (or without one): its changes wait for that one. */
  async afterFlush(args: FlushEventArgs): Promise<void> {
    await this.oweCollectionChanges(args.uow, args.em, args.em.getTransactionContext());
  }

  /** The outermost transaction committed: its changes are visible, their pages go. */
  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    if (args.transaction === undefined) return;
    await this.dispatch(this.levels.committed(args.transaction));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction !== undefined) this.levels.rolledBack(args.transaction);
  }

  /**
   * Before a native write: in a transaction its models are recorded in it; outside one the write
   * commits on its own, so they are recorded first (if that fails, the write does not run) and
   * delivered once it ran.
   */
  async [NATIVE_WRITE](
    em: EntityManager,
    entityName: EntityName<object>,
    write: NativeWrite,
    ctx?: Transaction,
  ): Promise<(() => Promise<void>) | void> {
    const className = Utils.className(entityName);
    const meta = em.getMetadata().find(className);
    // A write through a parent model may change rows of the entities that extend it.
    const event = write === 'nativeDelete' ? ENTITY_DELETED : ENTITY_SAVED;
    const owed: OwedEvent[] = (meta ? rowModels(meta, em.getMetadata()) : [className]).map(
      model => ({ event, payload: { model } }),
    );
    if (meta && event === ENTITY_DELETED) owed.push(...cascadedModels(meta, em.getMetadata()));
    const transaction = ctx ?? em.getTransactionContext();
    if (transaction !== undefined && transaction !== null) {
      for (const one of owed) await this.owe(transaction, one);
      return;
    }
    const recorded = await this.outbox.recordFirst(
      owed.map(({ payload }) => String(payload.model)),
    );
    return () => this.dispatch(owed, recorded);
  }

  private async oweCollectionChanges(
    uow: UnitOfWork,
    em: EntityManager,
    transaction: Transaction | undefined,
  ): Promise<void> {
    const changes = this.collectionChanges.get(uow);
    if (!changes) return;
    this.collectionChanges.delete(uow);
    for (const payload of describeCollectionChanges(changes, em.getMetadata())) {
      await this.owe(transaction, { event: ENTITY_SAVED, payload });
    }
  }

  private async entityChanged(event: OwedEvent['event'], args: EventArgs<object>): Promise<void> {
    const id = primaryKeyId(wrap(args.entity, true).getPrimaryKeys() ?? []);
    // A child entity of single-table inheritance is a row of its parents' models too.
    for (const model of inheritedModels(args.meta, args.em.getMetadata())) {
      const payload: EntityDescriptor = id === undefined ? { model } : { model, id };
      await this.owe(args.em.getTransactionContext(), { event, payload });
      // A changed primary key leaves pages of the old one: name the old entity too.
      const original = args.changeSet?.originalEntity;
      if (event === ENTITY_SAVED && original && id !== undefined) {
        const before = primaryKeyId(args.meta.primaryKeys.map(key => original[key]));
        if (before !== undefined && before !== id) {
          await this.owe(args.em.getTransactionContext(), {
            event,
            payload: { model, id: before },
          });
        }
      }
    }
    // What the database deletes or changes with deleted rows (delete rule cascade / set null).
    if (event !== ENTITY_DELETED) return;
    for (const owed of cascadedModels(args.meta, args.em.getMetadata())) {
      await this.owe(args.em.getTransactionContext(), owed);
    }
  }

  /** Records the invalidation in the change's own transaction, where it waits for the commit. */
  private async owe(transaction: Transaction | undefined, owed: OwedEvent): Promise<void> {
    const inTransaction = transaction !== undefined && transaction !== null;
    const [recorded] = await this.outbox.recordIn(inTransaction ? transaction : undefined, [owed]);
    if (inTransaction) this.levels.hold(transaction, recorded);
    else await this.dispatch([recorded]);
  }

  /** After the commit: delivers the outbox records, then emits the events for the app's listeners. */
  private async dispatch(owed: OwedEvent[], recordedFirst?: JournalEntry[]): Promise<void> {
    await this.outbox.deliver(owed, recordedFirst);
    await emitOwed(this.events, owed);
  }
}
