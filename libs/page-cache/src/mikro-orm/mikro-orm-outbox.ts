import type { Connection, Transaction } from '@mikro-orm/core';
import { OUTBOX_TABLE, SqlOutbox } from '../invalidation/sql-outbox.js';

/** Default name of the outbox table: the same table the TypeORM integration uses. */
export const MIKRO_ORM_OUTBOX_TABLE = OUTBOX_TABLE;

/**
 * The transactional outbox of the MikroORM integration (`SqlOutbox` over MikroORM's own
 * connection): records are written inside the change's transaction when one is given.
 */
export class MikroOrmOutbox extends SqlOutbox<Transaction> {
  constructor(connection: Connection, table = MIKRO_ORM_OUTBOX_TABLE) {
    super(
      (sql, values, transaction) =>
        connection.execute(sql, [...values], sql.startsWith('SELECT') ? 'all' : 'run', transaction),
      table,
      'MikroOrmCacheInvalidation.withOptions({ outbox: false })',
    );
  }
}
