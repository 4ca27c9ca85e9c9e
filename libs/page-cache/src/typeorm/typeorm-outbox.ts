import type { DataSource, QueryRunner } from 'typeorm';
import type { InvalidationJournal, JournalEntry } from '../invalidation/invalidation-journal.js';

/** Default name of the outbox table. */
export const OUTBOX_TABLE = 'page_cache_outbox';

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
      await this.dataSource.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (` +
          'id varchar(36) NOT NULL PRIMARY KEY, ' +
          'model varchar(255) NOT NULL, ' +
          'entity_id varchar(255) NULL, ' +
          'created_at bigint NOT NULL)',
      );
    } catch (error) {
      throw new Error(
        `nestjs-page-cache could not create its invalidation outbox table "${this.table}": ${(error as Error).message}. ` +
          'Create it yourself (id varchar(36) primary key, model varchar(255), entity_id varchar(255) null, created_at bigint), ' +
          'or turn the outbox off with TypeOrmCacheInvalidation.withOptions({ outbox: false }).',
      );
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
    const rows = (await this.dataSource.query(
      `SELECT id, model, entity_id FROM ${this.table} ORDER BY created_at LIMIT ${Math.floor(limit)}`,
    )) as { id: string; model: string; entity_id: string | null }[];
    return rows.map(row => ({ id: row.id, model: row.model, entityId: row.entity_id }));
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
        `DELETE FROM ${this.table} WHERE id IN (:...ids)`,
        { ids: chunk },
      );
      await this.dataSource.query(sql, parameters);
    }
  }
}
