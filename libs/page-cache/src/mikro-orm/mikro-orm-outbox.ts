import type { Connection, Transaction } from '@mikro-orm/core';
import type { InvalidationJournal, JournalEntry } from '../invalidation/invalidation-journal.js';

/** Default name of the outbox table: the same table the TypeORM integration uses. */
export const MIKRO_ORM_OUTBOX_TABLE = 'page_cache_outbox';

/**
 * The transactional outbox of the MikroORM integration: each invalidation is written into a table
 * of the application's database in the same transaction as the change (through MikroORM's own
 * connection and transaction), and deleted once it reached the store. It survives the process that
 * made the change; any process delivers it.
 */
export class MikroOrmOutbox implements InvalidationJournal {
  constructor(
    private readonly connection: Connection,
    readonly table = MIKRO_ORM_OUTBOX_TABLE,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
      throw new TypeError(
        `Invalid outbox table name: ${JSON.stringify(table)}. Expected letters, digits and "_".`,
      );
    }
  }

  /**
   * Creates the table if it does not exist (SQLite, PostgreSQL, MySQL/MariaDB).
   * @throws an Error naming the table and the database's own message when it cannot.
   */
  async ensureTable(): Promise<void> {
    try {
      await this.connection.execute(
        `CREATE TABLE IF NOT EXISTS ${this.table} (` +
          'id varchar(36) NOT NULL PRIMARY KEY, ' +
          'model varchar(255) NOT NULL, ' +
          'entity_id varchar(255) NULL, ' +
          'created_at bigint NOT NULL)',
        [],
        'run',
      );
    } catch (error) {
      throw new Error(
        `nestjs-page-cache could not create its invalidation outbox table "${this.table}": ${(error as Error).message}. ` +
          'Create it yourself (id varchar(36) primary key, model varchar(255), entity_id varchar(255) null, created_at bigint), ' +
          'or turn the outbox off with MikroOrmCacheInvalidation.withOptions({ outbox: false }).',
      );
    }
  }

  /** Writes records inside `transaction` (or on their own when there is none). */
  async recordWith(
    transaction: Transaction | undefined,
    entries: readonly JournalEntry[],
  ): Promise<void> {
    for (const entry of entries) {
      await this.connection.execute(
        `INSERT INTO ${this.table} (id, model, entity_id, created_at) VALUES (?, ?, ?, ?)`,
        [entry.id, entry.model, entry.entityId, Date.now()],
        'run',
        transaction,
      );
    }
  }

  record(entries: readonly JournalEntry[]): Promise<void> {
    return this.recordWith(undefined, entries);
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    const rows = (await this.connection.execute(
      `SELECT id, model, entity_id FROM ${this.table} ORDER BY created_at LIMIT ${Math.floor(limit)}`,
      [],
      'all',
    )) as { id: string; model: string; entity_id: string | null }[];
    return rows.map(row => ({ id: row.id, model: row.model, entityId: row.entity_id }));
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      await this.connection.execute(
        `DELETE FROM ${this.table} WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
        'run',
      );
    }
  }
}
