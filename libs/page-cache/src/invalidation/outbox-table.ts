import { randomUUID } from 'node:crypto';
import type { JournalEntry } from './invalidation-journal.js';

/** Default name of the outbox table, the same for every ORM integration. */
export const OUTBOX_TABLE = 'page_cache_outbox';

/** Records deleted per statement. */
export const OUTBOX_REMOVE_BATCH = 100;

/** A row of the outbox table as the drivers return it. */
export interface OutboxRow {
  id: string;
  model: string;
  entity_id: string | null;
}

/**
 * Longest entity id an outbox record names (the `entity_id` column of tables created before it
 * was `text` holds 255 characters). A longer id is recorded as its whole model: more is cleared,
 * never less, and the save does not fail.
 */
export const MAX_RECORDED_ID = 255;

/** A new record of the invalidation of `model` (or of its entity `id`). */
export function invalidationRecord(model: string, id: unknown): JournalEntry {
  const entityId = id === undefined || id === null ? null : String(id);
  return {
    id: randomUUID(),
    model,
    entityId: entityId !== null && entityId.length > MAX_RECORDED_ID ? null : entityId,
  };
}

/** Refuses a table name that is not a plain SQL identifier (it is interpolated into SQL). */
export function assertOutboxTable(table: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    throw new TypeError(
      `Invalid outbox table name: ${JSON.stringify(table)}. Expected letters, digits and "_".`,
    );
  }
}

/** `CREATE TABLE IF NOT EXISTS` of the outbox (SQLite, PostgreSQL, MySQL/MariaDB). */
export function createOutboxTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (` +
    'id varchar(36) NOT NULL PRIMARY KEY, ' +
    'model varchar(255) NOT NULL, ' +
    'entity_id text NULL, ' +
    'created_at bigint NOT NULL)'
  );
}

/** The error of a table that could not be created: names it, the cause, and what to do. */
export function outboxTableError(table: string, error: unknown, turnOff: string): Error {
  return new Error(
    `nestjs-page-cache could not create its invalidation outbox table "${table}": ${(error as Error).message}. ` +
      'Create it yourself (id varchar(36) primary key, model varchar(255), entity_id text null, created_at bigint, indexed on model and on created_at), ' +
      `or turn the outbox off with ${turnOff}.`,
  );
}

/**
 * The outbox's indexes, one statement each (`IF NOT EXISTS`: SQLite, PostgreSQL, MariaDB; MySQL,
 * which lacks it, reports a duplicate, which is ignored): the oldest records are read by
 * `created_at`, and every process asks which models have undelivered records.
 */
export function createOutboxIndexesSql(table: string): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS ${table}_created ON ${table} (created_at)`,
    `CREATE INDEX IF NOT EXISTS ${table}_model ON ${table} (model)`,
  ];
}

/** The models of every undelivered record. */
export function pendingModelsSql(table: string): string {
  return `SELECT DISTINCT model FROM ${table}`;
}

/** The oldest `limit` records. */
export function pendingOutboxSql(table: string, limit: number): string {
  return `SELECT id, model, entity_id FROM ${table} ORDER BY created_at LIMIT ${Math.floor(limit)}`;
}

/** A journal entry from a row. */
export function entryOfRow(row: OutboxRow): JournalEntry {
  return { id: row.id, model: row.model, entityId: row.entity_id };
}
