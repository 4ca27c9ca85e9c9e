import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  MikroORM,
  Utils,
  wrap,
  type EntityManager,
  type EntityName,
  type EventArgs,
  type EventSubscriber,
  type Transaction,
  type TransactionEventArgs,
} from '@mikro-orm/core';
import {
  ENTITY_DELETED,
  ENTITY_SAVED,
  type EntityDescriptor,
} from '../invalidation/entity-events.js';
import { primaryKeyId } from '../invalidation/primary-key-id.js';
import { emitOwed, TransactionLevels, type OwedEvent } from '../invalidation/transaction-levels.js';
import {
  hookNativeWrites,
  NATIVE_WRITE,
  type NativeWrite,
  type NativeWriteListener,
} from './native-writes.hook.js';
import { watchSavepoints } from './savepoints.hook.js';

/**
 * Emits `ENTITY_SAVED` / `ENTITY_DELETED` for every entity MikroORM creates, updates, upserts or
 * deletes, so cached pages are cleared without the application emitting anything. The model is the
 * entity's class name, the id its primary key (a key of several columns encoded as
 * `compositeEntityId` does); `em.nativeUpdate()`, `em.nativeDelete()`, `em.insert()` and
 * `em.insertMany()` name the model alone, which clears it as a whole.
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
export class MikroOrmCacheInvalidation implements EventSubscriber, NativeWriteListener {
  private readonly levels = new TransactionLevels<Transaction>();

  constructor(
    orm: MikroORM,
    private readonly events: EventEmitter2,
  ) {
    orm.em.getEventManager().registerSubscriber(this);
    watchSavepoints(orm.em.getConnection('write'), this.levels);
    hookNativeWrites();
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

  /** The outermost transaction committed: its changes are visible, their pages go. */
  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    if (args.transaction === undefined) return;
    await emitOwed(this.events, this.levels.committed(args.transaction));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction !== undefined) this.levels.rolledBack(args.transaction);
  }

  /** A write without entity events changed rows of `entityName`: the whole model is outdated. */
  async [NATIVE_WRITE](
    em: EntityManager,
    entityName: EntityName<object>,
    write: NativeWrite,
    ctx?: Transaction,
  ): Promise<void> {
    const className = Utils.className(entityName);
    const model = em.getMetadata().find(className)?.className ?? className;
    const event = write === 'nativeDelete' ? ENTITY_DELETED : ENTITY_SAVED;
    await this.owe(ctx ?? em.getTransactionContext(), { event, payload: { model } });
  }

  private async entityChanged(event: OwedEvent['event'], args: EventArgs<object>): Promise<void> {
    const payload: EntityDescriptor = { model: args.meta.className };
    const id = primaryKeyId(wrap(args.entity, true).getPrimaryKeys() ?? []);
    if (id !== undefined) payload.id = id;
    await this.owe(args.em.getTransactionContext(), { event, payload });
    // A changed primary key leaves pages of the old one: name the old entity too.
    const original = args.changeSet?.originalEntity;
    if (event === ENTITY_SAVED && original && id !== undefined) {
      const before = primaryKeyId(args.meta.primaryKeys.map(key => original[key]));
      if (before !== undefined && before !== id) {
        const old: OwedEvent = { event, payload: { model: payload.model, id: before } };
        await this.owe(args.em.getTransactionContext(), old);
      }
    }
  }

  /** In a transaction: held until it commits. Outside one: the row is written, emit now. */
  private async owe(transaction: Transaction | undefined, owed: OwedEvent): Promise<void> {
    if (transaction !== undefined && transaction !== null) this.levels.hold(transaction, owed);
    else await emitOwed(this.events, [owed]);
  }
}
