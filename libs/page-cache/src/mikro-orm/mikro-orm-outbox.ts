import type { Connection, Transaction } from '@mikro-orm/core';
import { OUTBOX_TABLE, SqlOutbox } from '../invalidation/sql-outbox.js';

/**
 * The transactional outbox of the MikroORM integration (`SqlOutbox` over MikroORM's own
 * connection): records are written inside the change's transaction when one is given.
 */
export class MikroOrmOutbox extends SqlOutbox<Transaction> {
  constructor(connection: Connection, table = OUTBOX_TABLE) {
    super(
      (sql, values, transaction) =>
        connection.execute(sql, [...values], sql.startsWith('SELECT') ? 'all' : 'run', transaction),
      table,
      'MikroOrmCacheInvalidation.withOptions({ outbox: false })',
    );
  }
}
