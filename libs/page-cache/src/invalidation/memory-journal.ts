import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';

/**
 * The journal of a process without a durable one: invalidations that could not reach the store
 * take the same delivery, retry and pending bookkeeping as durable records, without surviving a
 * crash.
 */
export class MemoryJournal implements InvalidationJournal {
  /** Records by id, oldest first (a Map keeps insertion order). */
  private readonly records = new Map<string, JournalEntry>();

  async record(entries: readonly JournalEntry[]): Promise<void> {
    for (const entry of entries) this.records.set(entry.id, entry);
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    return [...this.records.values()].slice(0, limit);
  }

  async pendingModels(): Promise<string[]> {
    return [...new Set([...this.records.values()].map(entry => entry.model))];
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.records.delete(id);
  }
}
