import type { Connection, Transaction } from '@mikro-orm/core';
import type { TransactionLevels } from '../invalidation/transaction-levels.js';

/** What the hook reports: the savepoints (nested transactions) of one connection. */
type SavepointListener = Pick<TransactionLevels<Transaction>, 'began' | 'released' | 'rolledBack'>;

const WATCHED = Symbol.for('nestjs-page-cache:mikro-orm-savepoints');

type Begin = Connection['begin'];
type End = Connection['commit'];

/**
 * Reports the savepoints of `connection` to `listener`: MikroORM broadcasts events for the outermost
 * transaction only, yet a savepoint's rollback must drop its own changes' events. So `begin`,
 * `commit` and `rollback` (which `em.transactional()`, `em.begin()` and `flush()` go through) are
 * wrapped on this one connection instance.
 */
export function watchSavepoints(connection: Connection, listener: SavepointListener): void {
  const target = connection as Connection & { [WATCHED]?: Set<SavepointListener> };
  if (target[WATCHED]) {
    target[WATCHED].add(listener);
    return;
  }
  const listeners = new Set([listener]);
  target[WATCHED] = listeners;
  const begin: Begin = connection.begin.bind(connection);
  const commit: End = connection.commit.bind(connection);
  const rollback: End = connection.rollback.bind(connection);
  const savepoints = new WeakSet<object>();

  connection.begin = (async (options?: Parameters<Begin>[0]) => {
    const transaction = await begin(options);
    if (options?.ctx !== undefined && options.ctx !== null) {
      savepoints.add(transaction as object);
      for (const each of listeners) each.began(transaction, options.ctx);
    }
    return transaction;
  }) as Begin;
  connection.commit = async (ctx, ...rest) => {
    await commit(ctx, ...rest);
    if (savepoints.has(ctx as object)) for (const each of listeners) each.released(ctx);
  };
  connection.rollback = async (ctx, ...rest) => {
    try {
      await rollback(ctx, ...rest);
    } finally {
      if (savepoints.has(ctx as object)) for (const each of listeners) each.rolledBack(ctx);
    }
  };
}
