import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';

/**
 * The journal of a process without a durable one: its records live as long as the process. It
 * gives invalidations that could not reach the store the same path as durable records — the same
 * delivery, retry and pending bookkeeping (`OutboxDelivery`) — only without surviving a crash
 * (configure `invalidationJournal` or an ORM outbox for that).
 */
export class MemoryJournal implements InvalidationJournal {
  /** Records by id, oldest first (a Map keeps insertion order). */
  private readonly records = new Map<string, JournalEntry>();

  async record(entries: readonly JournalEntry[]): Promise<void> {
    for (const entry of entries) this.records.set(entry.id, entry);
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    const oldest: JournalEntry[] = [];
    for (const entry of this.records.values()) {
      if (oldest.length >= limit) break;
      oldest.push(entry);
    }
    return oldest;
  }

  async pendingModels(): Promise<string[]> {
    return [...new Set([...this.records.values()].map(entry => entry.model))];
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.records.delete(id);
  }
}
