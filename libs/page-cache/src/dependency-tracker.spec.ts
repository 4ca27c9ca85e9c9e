import { DependencyTracker } from './dependency-tracker.js';
import { generationKey } from './keys.js';
import { MemoryStore } from './stores/memory.store.js';

/**
 * A store in epoch `now` whose processes were, or are, also in `known` (known here) and
 * `recorded` (known only to the record), keeping each `delete` call it is given.
 */
class EpochStore extends MemoryStore {
  readonly deletes: string[][] = [];

  constructor(
    private readonly now: string,
    private readonly known: string[],
    private readonly recorded: string[],
  ) {
    super();
  }

  epoch(): string {
    return this.now;
  }

  otherEpochs() {
    return { known: this.known, recorded: Promise.resolve(this.recorded) };
  }

  override delete(keys: readonly string[]): Promise<number> {
    this.deletes.push([...keys]);
    return super.delete(keys);
  }
}

describe('DependencyTracker.invalidate across epochs', () => {
  const ns = 'ns:1';
  const token = (epoch: string, dep: string) => generationKey(ns, dep, epoch);

  it('removes the tokens of every epoch a process may be in: those known in one call', async () => {
    const store = new EpochStore('now', ['old'], ['old']);
    for (const epoch of ['now', 'old']) await store.set(token(epoch, 'Post'), Buffer.from('t'), 0);
    await new DependencyTracker(store, ns).invalidate(['Post', 'Post/']);

    expect(store.deletes[0]!.sort()).toEqual(
      [
        token('now', 'Post'),
        token('now', 'Post/'),
        token('old', 'Post'),
        token('old', 'Post/'),
      ].sort(),
    );
    expect(store.deletes.filter(keys => keys.some(key => key.includes('~gen:')))).toHaveLength(1);
    expect(await store.has(token('old', 'Post'))).toBe(false);
  });

  it('removes those only the record names in a second call, before it resolves', async () => {
    const store = new EpochStore('old', [], ['new']);
    await store.set(token('new', 'Post'), Buffer.from('t'), 0);
    await new DependencyTracker(store, ns).invalidate(['Post']);

    const tokenDeletes = store.deletes.filter(keys => keys.some(key => key.includes('~gen:')));
    expect(tokenDeletes).toEqual([[token('old', 'Post')], [token('new', 'Post')]]);
    expect(await store.has(token('new', 'Post'))).toBe(false);
  });
});

describe('DependencyTracker.lookupKeys', () => {
  it("remembers the keys of a remembered location's frozen dependencies, and of no other array", () => {
    const store = new EpochStore('e1', [], []);
    const tracker = new DependencyTracker(store, 'ns:1');
    const frozen = Object.freeze(['Post']);
    const first = tracker.lookupKeys('page', frozen);
    expect(tracker.lookupKeys('page', frozen)).toBe(first);
    // A fresh array per call (a value's models, a location not remembered) is built each time:
    // remembering it would keep one entry per call.
    const fresh = tracker.lookupKeys('page', ['Post']);
    expect(fresh).toEqual(first);
    expect(tracker.lookupKeys('page', ['Post'])).not.toBe(fresh);
    const keysOf = (tracker as unknown as { keysOf: WeakMap<object, unknown> }).keysOf;
    const other = ['Post'];
    tracker.lookupKeys('page', other);
    expect(keysOf.has(other)).toBe(false);
    expect(keysOf.has(frozen)).toBe(true);
  });
});
