import type { Connection, Transaction } from '@mikro-orm/core';
import type { InvalidationJournal, JournalEntry } from '../invalidation/invalidation-journal.js';
import {
  assertOutboxTable,
  createOutboxIndexesSql,
  createOutboxTableSql,
  entryOfRow,
  OUTBOX_REMOVE_BATCH,
  OUTBOX_TABLE,
  outboxTableError,
  pendingModelsSql,
  pendingOutboxSql,
  type OutboxRow,
} from '../invalidation/outbox-table.js';

/** Default name of the outbox table: the same table the TypeORM integration uses. */
export const MIKRO_ORM_OUTBOX_TABLE = OUTBOX_TABLE;

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
    assertOutboxTable(table);
  }

  /**
   * Creates the table if it does not exist (SQLite, PostgreSQL, MySQL/MariaDB).
   * @throws an Error naming the table and the database's own message when it cannot.
   */
  async ensureTable(): Promise<void> {
    try {
      await this.connection.execute(createOutboxTableSql(this.table), [], 'run');
    } catch (error) {
      throw outboxTableError(
        this.table,
        error,
        'MikroOrmCacheInvalidation.withOptions({ outbox: false })',
      );
    }
    for (const sql of createOutboxIndexesSql(this.table)) {
      // MySQL has no IF NOT EXISTS for indexes: a second start finds them there.
      await this.connection.execute(sql, [], 'run').catch(() => undefined);
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
      pendingOutboxSql(this.table, limit),
      [],
      'all',
    )) as OutboxRow[];
    return rows.map(entryOfRow);
  }

  async pendingModels(): Promise<string[]> {
    const rows = (await this.connection.execute(pendingModelsSql(this.table), [], 'all')) as {
      model: string;
    }[];
    return rows.map(row => row.model);
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += OUTBOX_REMOVE_BATCH) {
      const chunk = ids.slice(i, i + OUTBOX_REMOVE_BATCH);
      await this.connection.execute(
        `DELETE FROM ${this.table} WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
        'run',
      );
    }
  }
}
