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
