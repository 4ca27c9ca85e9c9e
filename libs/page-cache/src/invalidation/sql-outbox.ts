import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';

/** Default name of the outbox table, the same for every ORM integration. */
export const OUTBOX_TABLE = 'page_cache_outbox';

/** Records deleted per statement. */
const REMOVE_BATCH = 100;

/**
 * How an ORM runs one statement on the app's database: `?` placeholders for `values`, inside
 * `transaction` when one is given (else on its own). Rows come back for a `SELECT`.
 */
type RunSql<Transaction> = (
  sql: string,
  values: readonly unknown[],
  transaction?: Transaction,
) => Promise<unknown>;

/**
 * The transactional outbox of an ORM integration, over the ORM's way to run SQL: each invalidation
 * is written into a table of the app's database in the change's own transaction, and deleted once
 * it reached the store. It survives the process that made the change; any process delivers it.
 */
export class SqlOutbox<Transaction> implements InvalidationJournal {
  constructor(
    private readonly run: RunSql<Transaction>,
    readonly table: string,
    /** How the app turns the outbox off, for the error of a table that cannot be created. */
    private readonly turnOff: string,
  ) {
    // The name is interpolated into SQL.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
      throw new TypeError(
        `Invalid outbox table name: ${JSON.stringify(table)}. Expected letters, digits and "_".`,
      );
    }
  }

  /**
   * Creates the table if needed (SQLite, PostgreSQL, MySQL/MariaDB), indexed for the reads of the
   * oldest records and of the pending models.
   * @throws an Error naming the table and the database's own message when it cannot.
   */
  async ensureTable(): Promise<void> {
    const table = this.table;
    try {
      await this.run(
        `CREATE TABLE IF NOT EXISTS ${table} (id varchar(36) NOT NULL PRIMARY KEY, model varchar(255) NOT NULL, entity_id text NULL, created_at bigint NOT NULL)`,
        [],
      );
    } catch (error) {
      throw new Error(
        `nestjs-page-cache could not create its invalidation outbox table "${table}": ${(error as Error).message}. ` +
          'Create it yourself (id varchar(36) primary key, model varchar(255), entity_id text null, created_at bigint, indexed on model and on created_at), ' +
          `or turn the outbox off with ${this.turnOff}.`,
      );
    }
    for (const [name, column] of [
      ['created', 'created_at'],
      ['model', 'model'],
    ]) {
      // MySQL has no IF NOT EXISTS for indexes: a second start finds them there.
      await this.run(
        `CREATE INDEX IF NOT EXISTS ${table}_${name} ON ${table} (${column})`,
        [],
      ).catch(() => undefined);
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
    const rows = (await this.run(
      `SELECT id, model, entity_id FROM ${this.table} ORDER BY created_at LIMIT ${Math.floor(limit)}`,
      [],
    )) as { id: string; model: string; entity_id: string | null }[];
    return rows.map(row => ({ id: row.id, model: row.model, entityId: row.entity_id }));
  }

  async pendingModels(): Promise<string[]> {
    const rows = (await this.run(`SELECT DISTINCT model FROM ${this.table}`, [])) as {
      model: string;
    }[];
    return rows.map(row => row.model);
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += REMOVE_BATCH) {
      const chunk = ids.slice(i, i + REMOVE_BATCH);
      await this.run(
        `DELETE FROM ${this.table} WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
    }
  }
}
