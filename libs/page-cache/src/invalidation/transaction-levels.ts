import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { ENTITY_DELETED, ENTITY_SAVED, EntityDescriptor } from './entity-events.js';
import type { JournalEntry } from './invalidation-journal.js';

/** An event an ORM integration owes once the change it reports is committed. */
export interface OwedEvent {
  event: typeof ENTITY_SAVED | typeof ENTITY_DELETED;
  payload: EntityDescriptor;
  /** Its outbox record, written in the change's transaction, when the integration keeps one. */
  record?: JournalEntry;
}

/**
 * The events of changes made in transactions, held per level (a MikroORM/knex transaction, a
 * Prisma transaction scope) until the outermost commit — invalidating earlier would let a
 * concurrent request re-cache the data the commit replaces. A savepoint's release moves its events
 * to the level around it; a rollback drops its level's own; the outermost commit hands all over.
 */
export class TransactionLevels<Level> {
  private readonly held = new Map<Level, OwedEvent[]>();
  private readonly parents = new Map<Level, Level>();

  /** A transaction, or a savepoint inside `parent`, began. */
  began(level: Level, parent?: Level): void {
    this.held.set(level, []);
    if (parent !== undefined) this.parents.set(level, parent);
  }

  /** A level not seen begin is a transaction. */
  hold(level: Level, owed: OwedEvent): void {
    const events = this.held.get(level);
    if (events) events.push(owed);
    else this.held.set(level, [owed]);
  }

  /** A savepoint was released: its events wait for the level around it. */
  released(level: Level): void {
    const parent = this.parents.get(level);
    const events = this.end(level);
    if (parent === undefined) return;
    for (const owed of events) this.hold(parent, owed);
  }

  rolledBack(level: Level): void {
    this.end(level);
  }

  /** The outermost transaction committed: everything it owes (each with its record). */
  committed(level: Level): OwedEvent[] {
    return this.end(level);
  }

  /** Levels still open (for tests: every transaction that ended was forgotten). */
  get open(): number {
    return this.held.size;
  }

  private end(level: Level): OwedEvent[] {
    const events = this.held.get(level) ?? [];
    this.held.delete(level);
    this.parents.delete(level);
    return events;
  }
}

/**
 * Emits owed events in order, each awaited, so the caller resumes once the pages are gone; the same
 * event for the same entity twice in one commit is emitted once.
 */
export async function emitOwed(events: EventEmitter2, owed: readonly OwedEvent[]): Promise<void> {
  const seen = new Set<string>();
  for (const { event, payload } of owed) {
    const { model, id } = payload;
    const key = JSON.stringify([
      event,
      typeof model === 'function' ? model.name : model,
      id ?? null,
    ]);
    if (seen.has(key)) continue;
    seen.add(key);
    await events.emitAsync(event, payload);
  }
}
