import { ENTITY_DELETED, ENTITY_SAVED } from './entity-events.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { emitOwed, TransactionLevels, type OwedEvent } from './transaction-levels.js';

const saved = (id: number): OwedEvent => ({ event: ENTITY_SAVED, payload: { model: 'Book', id } });

describe('TransactionLevels', () => {
  it('hands over a released savepoint with its transaction, and drops a rolled-back one', () => {
    const levels = new TransactionLevels<string>();
    levels.began('outer');
    levels.hold('outer', saved(1));
    levels.began('kept', 'outer');
    levels.hold('kept', saved(2));
    levels.began('inner', 'kept');
    levels.hold('inner', saved(3));
    levels.rolledBack('inner');
    levels.released('kept');
    expect(levels.committed('outer')).toEqual([saved(1), saved(2)]);
    expect(levels.open).toBe(0);
  });

  it('drops everything when the outermost level rolls back, released savepoints included', () => {
    const levels = new TransactionLevels<string>();
    levels.began('outer');
    levels.began('inner', 'outer');
    levels.hold('inner', saved(2));
    levels.released('inner');
    levels.rolledBack('outer');
    expect(levels.committed('outer')).toEqual([]);
    expect(levels.open).toBe(0);
  });

  it('emits an event once per commit, keeping deletes apart from saves', async () => {
    const levels = new TransactionLevels<string>();
    const deleted: OwedEvent = { event: ENTITY_DELETED, payload: { model: 'Book', id: 1 } };
    for (const owed of [saved(1), saved(1), deleted, saved(2)]) levels.hold('tx', owed);
    const events = new EventEmitter2();
    const seen: unknown[] = [];
    events.onAny((event, payload) => void seen.push([event, payload]));
    await emitOwed(events, levels.committed('tx'));
    expect(seen).toEqual([
      [ENTITY_SAVED, { model: 'Book', id: 1 }],
      [ENTITY_DELETED, { model: 'Book', id: 1 }],
      [ENTITY_SAVED, { model: 'Book', id: 2 }],
    ]);
  });
});
