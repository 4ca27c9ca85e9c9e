import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';
import {
  assertOutboxTable,
  createOutboxIndexesSql,
  createOutboxTableSql,
  entryOfRow,
  OUTBOX_REMOVE_BATCH,
  outboxTableError,
  pendingModelsSql,
  pendingOutboxSql,
  type OutboxRow,
} from './outbox-table.js';

/**
 * How an ORM runs one statement on the app's database: `?` placeholders for `values`, inside
 * `transaction` when one is given (else on its own). Rows come back for a `SELECT`.
 */
export type RunSql<Transaction> = (
  sql: string,
  values: readonly unknown[],
  transaction?: Transaction,
) => Promise<unknown>;

/**
 * The transactional outbox of an ORM integration: each invalidation is written into a table of
 * the application's database in the same transaction as the change (through the ORM's own
 * connection), and deleted once it reached the store. It survives the process that made the
 * change; any process delivers it. One implementation over every ORM's way to run SQL.
 */
export class SqlOutbox<Transaction> implements InvalidationJournal {
  constructor(
    private readonly run: RunSql<Transaction>,
    readonly table: string,
    /** How the app turns the outbox off, for the error of a table that cannot be created. */
    private readonly turnOff: string,
  ) {
    assertOutboxTable(table);
  }

  /**
   * Creates the table if it does not exist (SQLite, PostgreSQL, MySQL/MariaDB).
   * @throws an Error naming the table and the database's own message when it cannot.
   */
  async ensureTable(): Promise<void> {
    try {
      await this.run(createOutboxTableSql(this.table), []);
    } catch (error) {
      throw outboxTableError(this.table, error, this.turnOff);
    }
    for (const sql of createOutboxIndexesSql(this.table)) {
      // MySQL has no IF NOT EXISTS for indexes: a second start finds them there.
      await this.run(sql, []).catch(() => undefined);
    }
  }

  /** Writes records inside `transaction` (or on their own when there is none). */
  async recordWith(
    transaction: Transaction | undefined,
    entries: readonly JournalEntry[],
  ): Promise<void> {
    for (const entry of entries) {
      await this.run(
        `INSERT INTO ${this.table} (id, model, entity_id, created_at) VALUES (?, ?, ?, ?)`,
        [entry.id, entry.model, entry.entityId, Date.now()],
        transaction,
      );
    }
  }

  record(entries: readonly JournalEntry[]): Promise<void> {
    return this.recordWith(undefined, entries);
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    const rows = (await this.run(pendingOutboxSql(this.table, limit), [])) as OutboxRow[];
    return rows.map(entryOfRow);
  }

  async pendingModels(): Promise<string[]> {
    const rows = (await this.run(pendingModelsSql(this.table), [])) as { model: string }[];
    return rows.map(row => row.model);
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += OUTBOX_REMOVE_BATCH) {
      const chunk = ids.slice(i, i + OUTBOX_REMOVE_BATCH);
      await this.run(
        `DELETE FROM ${this.table} WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
    }
  }
}
