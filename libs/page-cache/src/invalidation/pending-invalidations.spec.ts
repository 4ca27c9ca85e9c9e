import { PendingInvalidations } from './pending-invalidations.js';

/** Two journals, as their deliveries name them. */
const outbox = {};
const memory = {};

describe('PendingInvalidations', () => {
  it('knows the models of its own undelivered records and of those the journal holds', () => {
    const pending = new PendingInvalidations();
    expect([pending.size, pending.affects(['Post'])]).toEqual([0, false]);
    pending.add('r1', 'Post', outbox);
    pending.add('r2', 'Post', outbox);
    pending.replaceSeen(outbox, ['Author']);
    expect(pending.models()).toEqual(['Author', 'Post']);
    expect(pending.affects(['Comment', 'Post'])).toBe(true);
    pending.delivered(['r1']);
    expect(pending.affects(['Post'])).toBe(true);
    pending.delivered(['r2']);
    pending.replaceSeen(outbox, []);
    expect([pending.size, pending.affects(['Post', 'Author'])]).toEqual([0, false]);
  });

  it("finds an entry's model in its recorded dependencies, entity-level ones included", () => {
    const pending = new PendingInvalidations();
    pending.add('r1', 'Post', outbox);
    expect(pending.affectsDependencies(['Post'])).toBe(true);
    expect(pending.affectsDependencies(['Author', 'Post/42', 'Post/'])).toBe(true);
    expect(pending.affectsDependencies(['Postal', 'Postal/1', 'Author/'])).toBe(false);
    pending.delivered(['r1']);
    expect(pending.affectsDependencies(['Post/42'])).toBe(false);
  });

  it("lets this process's committed records go once a complete read no longer finds their model, whoever delivered them", () => {
    const pending = new PendingInvalidations();
    pending.add('r1', 'Post', outbox);
    pending.add('r2', 'Author', outbox);
    pending.add('memory', 'Tag', memory); // in another journal
    const before = Date.now() - 1;
    pending.committed(['r1', 'r2']);
    // A read that began before the commits may not have seen them: nothing goes.
    pending.replaceSeen(outbox, [], { readAt: before });
    expect(pending.models()).toEqual(['Author', 'Post', 'Tag']);
    // A read of the oldest records only (not complete) tells nothing of the others.
    pending.replaceSeen(outbox, ['Author']);
    expect(pending.models()).toEqual(['Author', 'Post', 'Tag']);
    // A complete read after the commits: Post left the outbox (another process delivered it).
    pending.replaceSeen(outbox, ['Author'], { readAt: Date.now() + 1 });
    expect(pending.models()).toEqual(['Author', 'Tag']);
    pending.replaceSeen(outbox, [], { readAt: Date.now() + 1 });
    expect(pending.models()).toEqual(['Tag']);
  });

  it('counts records per model, so adding one costs the same however many are pending', () => {
    const pending = new PendingInvalidations();
    for (let i = 0; i < 100_000; i++) pending.add(`r${i}`, `Model${i % 7}`, outbox);
    expect(pending.size).toBe(7);
    pending.delivered(Array.from({ length: 100_000 }, (_, i) => `r${i}`).filter((_, i) => i % 7));
    expect(pending.models()).toEqual(['Model0']);
  });

  it("keeps each journal's undelivered models: one journal's read never clears another's", () => {
    const pending = new PendingInvalidations();
    pending.replaceSeen(outbox, ['Post'], { readAt: Date.now() });
    pending.replaceSeen(memory, [], { readAt: Date.now() });
    expect(pending.affects(['Post'])).toBe(true);
    pending.replaceSeen(outbox, [], { readAt: Date.now() });
    expect(pending.size).toBe(0);
  });
});
