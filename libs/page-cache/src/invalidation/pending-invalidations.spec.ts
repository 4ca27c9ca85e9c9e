import { PendingInvalidations } from './pending-invalidations.js';

describe('PendingInvalidations', () => {
  it('knows the models of its own undelivered records and of those the journal holds', () => {
    const pending = new PendingInvalidations();
    expect([pending.size, pending.affects(['Post'])]).toEqual([0, false]);
    pending.add('r1', 'Post');
    pending.add('r2', 'Post');
    pending.replaceSeen(['Author']);
    expect(pending.models()).toEqual(['Author', 'Post']);
    expect(pending.affects(['Comment', 'Post'])).toBe(true);
    pending.delivered(['r1']);
    expect(pending.affects(['Post'])).toBe(true);
    pending.delivered(['r2']);
    pending.replaceSeen([]);
    expect([pending.size, pending.affects(['Post', 'Author'])]).toEqual([0, false]);
  });

  it("finds an entry's model in its recorded dependencies, entity-level ones included", () => {
    const pending = new PendingInvalidations();
    pending.add('r1', 'Post');
    expect(pending.affectsDependencies(['Post'])).toBe(true);
    expect(pending.affectsDependencies(['Author', 'Post/42', 'Post/'])).toBe(true);
    expect(pending.affectsDependencies(['Postal', 'Postal/1', 'Author/'])).toBe(false);
    pending.delivered(['r1']);
    expect(pending.affectsDependencies(['Post/42'])).toBe(false);
  });
});
