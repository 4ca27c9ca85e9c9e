import { randomUUID } from 'node:crypto';

/** One invalidation recorded durably before it reached the store. */
export interface JournalEntry {
  /** Unique id of the record (its primary key). */
  id: string;
  /** The model's name. */
  model: string;
  /** The entity's id, or `null` for the whole model. */
  entityId: string | null;
}

/**
 * Where invalidations are recorded so that they survive the process that asked for them: the
 * TypeORM integration's outbox table (written in the same transaction as the change), or a
 * journal you provide (`CacheModule.forRoot({ invalidationJournal })`) for events you emit by hand.
 * Any process delivers what it finds there; delivery is idempotent.
 */
export interface InvalidationJournal {
  /** Records invalidations; resolves once they are durable. */
  record(entries: readonly JournalEntry[]): Promise<void>;
  /** Undelivered records, oldest first, at most `limit`. */
  pending(limit: number): Promise<JournalEntry[]>;
  /**
   * The models of every undelivered record, however many there are (one indexed query). Optional:
   * without it a process knows only the models of the records it reads in a pass, and those
   * further back are served from the cache until a pass reaches them.
   */
  pendingModels?(): Promise<string[]>;
  /** Drops records that reached the store. */
  remove(ids: readonly string[]): Promise<void>;
}

/**
 * Longest entity id a record names (older outbox tables hold 255 characters): a longer one is
 * recorded as its whole model — more is cleared, never less, and the save does not fail.
 */
const MAX_RECORDED_ID = 255;

/** A new record of the invalidation of `model` (or of its entity `id`). */
export function invalidationRecord(model: string, id: unknown): JournalEntry {
  const entityId = id === undefined || id === null ? null : String(id);
  return {
    id: randomUUID(),
    model,
    entityId: entityId !== null && entityId.length > MAX_RECORDED_ID ? null : entityId,
  };
}
