import type { EventEmitter2 } from '@nestjs/event-emitter';
import { Prisma } from '@prisma/client/extension';
import type { DefaultArgs } from '@prisma/client/runtime/client';
import {
  ENTITY_DELETED,
  ENTITY_SAVED,
  RECORD_FIRST,
  type RecordedFirst,
  type RecordFirstRequest,
} from '../invalidation/entity-events.js';
import { announceEntities } from '../invalidation/entity-catalog.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';
import { primaryKeyId } from '../invalidation/primary-key-id.js';
import { emitOwed, TransactionLevels, type OwedEvent } from '../invalidation/transaction-levels.js';
import { deletedWith, parseRelations } from './deleted-with.js';
import { nestedWriteEvents, type PrismaDataModel } from './nested-writes.js';
import { parsePrimaryKeys, type PrismaPrimaryKeys } from './prisma-primary-keys.js';

/** Options of {@link prismaCacheInvalidation}. */
export interface PrismaCacheInvalidationOptions {
  /**
   * The primary key fields of models, in key order (`{ Edition: ['bookId', 'lang'] }`). Read from
   * the schema the client was generated from by default; a model whose key is unknown is
   * invalidated as a whole.
   */
  primaryKeys?: Readonly<Record<string, readonly string[]>>;
}

/** Every name of {@link PrismaCacheInvalidationOptions} (`primaryKeys` holds model names). */
const PRISMA_OPTION_NAMES: OptionNames<PrismaCacheInvalidationOptions> = { primaryKeys: true };

/**
 * What `prismaCacheInvalidation()` returns, for `prisma.$extends()`: it adds no model, result or
 * client method to the client's type (it only overrides `$transaction`'s behaviour), so the extended
 * client keeps the generated client's types.
 */
export type PrismaCacheInvalidationExtension = (client: unknown) => {
  $extends: { extArgs: DefaultArgs };
};

/** Writes of one row: the event names that row. */
const ROW_WRITES = new Set(['create', 'update', 'upsert', 'delete']);
/** Writes of any number of rows: the event names the model as a whole. */
const BULK_WRITES = new Set([
  'createMany',
  'createManyAndReturn',
  'updateMany',
  'updateManyAndReturn',
  'deleteMany',
]);

/** Where Prisma keeps the transaction scope on an interactive transaction's client. */
const SCOPE = Symbol.for('prisma.client.transaction.scope_context');

interface TransactionScope {
  txId: string;
  scopeId: string;
}

/** The parts of Prisma's client this extension reads that its public types do not show. */
interface ClientInternals {
  _engineConfig?: { inlineSchema?: string };
  /** The generated client's data model: which fields are relations, and to which model. */
  _runtimeDataModel?: PrismaDataModel;
  _originalClient: object;
  [SCOPE]?: TransactionScope;
}

type TransactionMethod = (this: unknown, input: unknown, options?: unknown) => Promise<unknown>;

/**
 * A Prisma Client extension that emits `ENTITY_SAVED` / `ENTITY_DELETED` after each successful
 * write, so cached pages are cleared without the application emitting anything:
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(prismaCacheInvalidation(eventEmitter));
 * ```
 * - `create`, `update`, `upsert` and `delete` name the row: the model name and its primary key (a
 *   key of several fields encoded as `compositeEntityId` does; a changed key names the old one too);
 * - `createMany`, `updateMany`, `deleteMany` (and their `AndReturn` forms) name the model alone,
 *   which clears it as a whole;
 * - nested writes (`data: { posts: { update: … } }`, `connect`, `disconnect`, `set`, … at any
 *   depth) name each related model they touch as a whole;
 * - a delete also names, as a whole, the models whose rows the database deletes or changes with
 *   the deleted ones (`onDelete: Cascade` at any depth, `SetNull`, `SetDefault`) and the model at
 *   the other end of each implicit many-to-many relation (its links go).
 *
 * A write inside an interactive transaction (`$transaction(async tx => …)`) waits for the outermost
 * commit, and a rolled-back transaction emits nothing; a nested `tx.$transaction()` (a savepoint)
 * that fails drops only its own writes' events. Events are awaited: the write (or the
 * `$transaction`) resolves once the cache no longer holds pages built from the old rows. Raw SQL
 * (`$executeRaw`) is not seen: emit for it yourself.
 */
export function prismaCacheInvalidation(
  events: EventEmitter2,
  options: PrismaCacheInvalidationOptions = {},
): PrismaCacheInvalidationExtension {
  checkOptionNames(options, PRISMA_OPTION_NAMES, 'prismaCacheInvalidation');
  const extension = Prisma.defineExtension(client => {
    const internals = client as unknown as ClientInternals;
    const keys: PrismaPrimaryKeys = {
      ...parsePrimaryKeys(internals._engineConfig?.inlineSchema ?? ''),
      ...options.primaryKeys,
    };
    const relations = parseRelations(internals._engineConfig?.inlineSchema ?? '');
    announceEntities(events, () => Object.keys(internals._runtimeDataModel?.models ?? {}));
    const levels = new TransactionLevels<string>();
    /** The open scopes of each interactive transaction, outermost first. */
    const scopes = new Map<string, string[]>();

    /** Holds the events of a write made in an open interactive transaction, or emits them. */
    const owe = async (owed: OwedEvent[], transaction: unknown): Promise<void> => {
      const { kind, id } = (transaction ?? {}) as { kind?: string; id?: string };
      const scope = kind === 'itx' && id !== undefined ? scopes.get(id)?.at(-1) : undefined;
      if (scope === undefined) {
        // No transaction, a batch `$transaction([…])` (its queries resolve after its commit), or an
        // interactive one started before this extension was applied.
        await emitOwed(events, owed);
        return;
      }
      for (const item of owed) levels.hold(scope, item);
    };

    const transaction: TransactionMethod = async function (this: unknown, input, txOptions) {
      const self = Prisma.getExtensionContext(this) as unknown as ClientInternals;
      const prototype = Object.getPrototypeOf(self._originalClient) as {
        $transaction: TransactionMethod;
      };
      if (typeof input !== 'function') return prototype.$transaction.call(self, input, txOptions);
      const callback = input as (tx: unknown) => Promise<unknown>;
      let scope: (TransactionScope & { parent?: string }) | undefined;
      let succeeded = false;
      try {
        const result = await prototype.$transaction.call(
          self,
          (tx: ClientInternals) => {
            const { txId, scopeId } = tx[SCOPE]!;
            const stack = scopes.get(txId) ?? [];
            scope = { txId, scopeId, parent: stack.at(-1) };
            stack.push(scopeId);
            scopes.set(txId, stack);
            levels.began(scopeId, scope.parent);
            return callback(tx);
          },
          txOptions,
        );
        succeeded = true;
        return result;
      } finally {
        if (scope) {
          const stack = scopes.get(scope.txId);
          if (stack?.at(-1) === scope.scopeId) stack.pop();
          if (stack?.length === 0) scopes.delete(scope.txId);
          if (!succeeded) levels.rolledBack(scope.scopeId);
          else if (scope.parent !== undefined) levels.released(scope.scopeId);
          else await emitOwed(events, levels.committed(scope.scopeId));
        }
      }
    };

    return client.$extends({
      name: 'nestjs-page-cache',
      query: {
        $allModels: {
          async $allOperations({ model, operation, args, query, ...rest }) {
            if (!ROW_WRITES.has(operation) && !BULK_WRITES.has(operation)) return query(args);
            const transaction = (rest as { __internalParams?: { transaction?: unknown } })
              .__internalParams?.transaction;
            const nested = nestedWriteEvents(model, operation, args, internals._runtimeDataModel);
            // What the database deletes or changes with deleted rows (cascades, links).
            const cascaded = (written: readonly OwedEvent[]) =>
              written.flatMap(({ event, payload }) =>
                event === ENTITY_DELETED ? deletedWith(String(payload.model), relations) : [],
              );
            const { where, data, update } = (args ?? {}) as Record<string, unknown>;
            // A write that commits on its own has no transaction to hold its record: what it may
            // invalidate is recorded first; once it is done, its own events take that place. A key
            // the write changes names the row it becomes too.
            let first: RecordedFirst[] = [];
            if (!inInteractiveTransaction(transaction)) {
              const before = rowEvents(model, operation, keys[model], key =>
                operation === 'create' ? [] : [idIn(where, key), idIn(data ?? update, key)],
              );
              first = await recordFirst(events, [...before, ...nested, ...cascaded(before)]);
            }
            let result: unknown;
            try {
              result = await query(args);
            } catch (error) {
              await Promise.all(first.map(recorded => recorded.deliver()));
              throw error;
            }
            // A row whose key the answer does not hold (a `select` without it) is known only as its
            // model; a changed key names the old row too.
            const written = [
              ...rowEvents(model, operation, keys[model], key => [
                idIn(result, key),
                idIn(where, key),
              ]),
              ...nested,
            ];
            await owe([...written, ...cascaded(written)], transaction);
            await Promise.all(first.map(recorded => recorded.settle()));
            return result;
          },
        },
      },
      client: { $transaction: transaction },
    });
  });
  return extension as unknown as PrismaCacheInvalidationExtension;
}

/** Whether a query runs in an interactive transaction (whose commit its events wait for). */
function inInteractiveTransaction(transaction: unknown): boolean {
  return (transaction as { kind?: string } | undefined)?.kind === 'itx';
}

/**
 * Has the caches record `owed` before the write runs (see `RECORD_FIRST`).
 * @throws when a cache could not record them: the write must not run.
 */
function recordFirst(events: EventEmitter2, owed: readonly OwedEvent[]): Promise<RecordedFirst[]> {
  const targets = owed.map(({ payload }) => ({ model: String(payload.model), id: payload.id }));
  const request: RecordFirstRequest = { targets, recorded: [] };
  return events.emitAsync(RECORD_FIRST, request).then(() => Promise.all(request.recorded));
}

/**
 * The events of a write: a write of one row names it by `idsOf` its key (the first id must be
 * known, the others are added), any other write, or one whose row is not known, its model.
 */
function rowEvents(
  model: string,
  operation: string,
  key: readonly string[] | undefined,
  idsOf: (key: readonly string[]) => (string | number | undefined)[],
): OwedEvent[] {
  const event = operation.startsWith('delete') ? ENTITY_DELETED : ENTITY_SAVED;
  const ids = ROW_WRITES.has(operation) && key?.length ? idsOf(key) : [];
  if (ids[0] === undefined) return [{ event, payload: { model } }];
  return [...new Set(ids.filter(id => id !== undefined))].map(id => ({
    event,
    payload: { model, id },
  }));
}

/** The key of a row, or of a unique `where` (fields at its top, or under a compound key's name). */
function idIn(source: unknown, key: readonly string[]): string | number | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  for (const fields of [source, ...Object.values(source)]) {
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) continue;
    const values = key.map(field => (fields as Record<string, unknown>)[field]);
    if (values.every(isScalar)) return primaryKeyId(values);
  }
  return undefined;
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint';
}
