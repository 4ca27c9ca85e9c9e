import type { DataSource, QueryRunner } from 'typeorm';
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

export { OUTBOX_TABLE };

/**
 * The transactional outbox of the TypeORM integration: a table of the application's own database
 * where each invalidation is written in the same transaction as the change, and deleted once it
 * reached the store. It survives the process that made the change; any process delivers it.
 */
export class TypeOrmOutbox implements InvalidationJournal {
  constructor(
    private readonly dataSource: DataSource,
    readonly table = OUTBOX_TABLE,
  ) {
    assertOutboxTable(table);
  }

  /**
   * Creates the table if it does not exist (SQLite, PostgreSQL, MySQL/MariaDB).
   * @throws an Error naming the table and the database's own message when it cannot.
   */
  async ensureTable(): Promise<void> {
    try {
      await this.dataSource.query(createOutboxTableSql(this.table));
    } catch (error) {
      throw outboxTableError(
        this.table,
        error,
        'TypeOrmCacheInvalidation.withOptions({ outbox: false })',
      );
    }
    for (const sql of createOutboxIndexesSql(this.table)) {
      // MySQL has no IF NOT EXISTS for indexes: a second start finds them there.
      await this.dataSource.query(sql).catch(() => undefined);
    }
  }

  /** Writes records through `runner`, inside its transaction when one is active. */
  async recordWith(
    runner: QueryRunner | undefined,
    entries: readonly JournalEntry[],
  ): Promise<void> {
    for (const entry of entries) {
      const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
        `INSERT INTO ${this.table} (id, model, entity_id, created_at) VALUES (:id, :model, :entityId, :createdAt)`,
        { id: entry.id, model: entry.model, entityId: entry.entityId, createdAt: Date.now() },
      );
      if (runner) await runner.query(sql, parameters);
      else await this.dataSource.query(sql, parameters);
    }
  }

  record(entries: readonly JournalEntry[]): Promise<void> {
    return this.recordWith(undefined, entries);
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    const rows = (await this.dataSource.query(pendingOutboxSql(this.table, limit))) as OutboxRow[];
    return rows.map(entryOfRow);
  }

  async pendingModels(): Promise<string[]> {
    const rows = (await this.dataSource.query(pendingModelsSql(this.table))) as { model: string }[];
    return rows.map(row => row.model);
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += OUTBOX_REMOVE_BATCH) {
      const chunk = ids.slice(i, i + OUTBOX_REMOVE_BATCH);
      const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
        `DELETE FROM ${this.table} WHERE id IN (:...ids)`,
        { ids: chunk },
      );
      await this.dataSource.query(sql, parameters);
    }
  }
}
