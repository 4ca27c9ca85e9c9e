import { ENTITY_DELETED, ENTITY_SAVED } from './entity-events.js';
import { TransactionLevels, type OwedEvent } from './transaction-levels.js';

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

  it('removes duplicates, keeping deletes apart from saves', () => {
    const levels = new TransactionLevels<string>();
    const deleted: OwedEvent = { event: ENTITY_DELETED, payload: { model: 'Book', id: 1 } };
    for (const owed of [saved(1), saved(1), deleted, saved(2)]) levels.hold('tx', owed);
    expect(levels.committed('tx')).toEqual([saved(1), deleted, saved(2)]);
  });
});
