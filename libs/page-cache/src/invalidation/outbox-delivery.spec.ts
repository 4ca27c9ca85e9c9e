import { DependencyTracker } from '../dependency-tracker.js';
import { MemoryStore } from '../stores/memory.store.js';
import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';
import { InvalidationPipeline } from './invalidation-pipeline.js';
import { OutboxDelivery } from './outbox-delivery.js';

/** A real memory store that refuses every write, as a store that cannot be reached. */
class UnreachableStore extends MemoryStore {
  reachable = false;
  override async set(...args: Parameters<MemoryStore['set']>): Promise<boolean> {
    if (!this.reachable) throw new Error('Connection is closed.');
    return super.set(...args);
  }
  override async delete(keys: readonly string[]): Promise<number> {
    if (!this.reachable) throw new Error('Connection is closed.');
    return super.delete(keys);
  }
}

/** A journal other processes keep writing to, counting how often its pending models are read. */
class SharedJournal implements InvalidationJournal {
  entries: JournalEntry[] = [{ id: '1', model: 'Article', entityId: '1' }];
  reads = 0;
  passes = 0;
  async record(entries: readonly JournalEntry[]) {
    this.entries.push(...entries);
  }
  async pending(limit: number) {
    this.passes++;
    return this.entries.slice(0, limit);
  }
  async pendingModels() {
    this.reads++;
    return [...new Set(this.entries.map(entry => entry.model))];
  }
  async remove(ids: readonly string[]) {
    this.entries = this.entries.filter(entry => !ids.includes(entry.id));
  }
}

describe('OutboxDelivery while the store cannot be reached', () => {
  afterEach(() => vi.useRealTimers());

  it('backs off its deliveries, yet reads which models are pending every interval', async () => {
    vi.useFakeTimers();
    const pipeline = new InvalidationPipeline(new DependencyTracker(new UnreachableStore(), 'ns'));
    const journal = new SharedJournal();
    const delivery = new OutboxDelivery(journal, [pipeline], 100);
    await delivery.start();
    expect(pipeline.pending.affects(['Article'])).toBe(true);
    // Another process records a save of Comment while this one backs off: 2 s of 100 ms
    // intervals hold a handful of delivery passes (200, 400, 800 ms apart…), not twenty.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(journal.passes).toBeLessThanOrEqual(6);
    await journal.record([{ id: '2', model: 'Comment', entityId: null }]);
    const reads = journal.reads;
    await vi.advanceTimersByTimeAsync(100);
    expect(journal.reads).toBeGreaterThan(reads);
    expect(pipeline.pending.affects(['Comment'])).toBe(true);
    delivery.stop();
  });

  it('says once that invalidations are waiting, and once that they were delivered', async () => {
    vi.useFakeTimers();
    const store = new UnreachableStore();
    const pipeline = new InvalidationPipeline(new DependencyTracker(store, 'ns'));
    const said: string[] = [];
    const delivery = new OutboxDelivery(new SharedJournal(), [pipeline], 100);
    vi.spyOn(delivery['logger'], 'warn').mockImplementation(
      message => void said.push(String(message)),
    );
    vi.spyOn(delivery['logger'], 'log').mockImplementation(
      message => void said.push(String(message)),
    );
    await delivery.start();
    await vi.advanceTimersByTimeAsync(2_000);
    store.reachable = true;
    await vi.advanceTimersByTimeAsync(5_000);
    delivery.stop();
    expect(said).toEqual([
      'Invalidations of Article are waiting for the store; pages built from them bypass the cache until they are delivered.',
      'Pending invalidations delivered.',
    ]);
  });
});

/** A real memory store whose writes wait until `open()`. */
class GatedStore extends MemoryStore {
  private release!: () => void;
  private readonly gate = new Promise<void>(resolve => (this.release = resolve));
  writes = 0;
  open(): void {
    this.release();
  }
  override async delete(...args: Parameters<MemoryStore['delete']>): Promise<number> {
    this.writes++;
    await this.gate;
    return super.delete(...args);
  }
}

describe('OutboxDelivery while a record is being delivered', () => {
  /** A delivery over a gated store, with one record in its journal, counting invalidations. */
  async function recorded() {
    const store = new GatedStore();
    let invalidations = 0;
    const pipeline = new InvalidationPipeline(
      new DependencyTracker(store, 'ns'),
      undefined,
      () => invalidations++,
    );
    const journal = new SharedJournal();
    journal.entries = [];
    const delivery = new OutboxDelivery(journal, [pipeline], 100, false);
    const record = { id: 'a', model: 'Article', entityId: null };
    await delivery.record([record], false);
    return { store, pipeline, journal, delivery, record, counted: () => invalidations };
  }

  it('leaves it to that delivery: a pass meanwhile does not deliver (nor count) it again', async () => {
    const { store, pipeline, journal, delivery, record, counted } = await recorded();
    const first = delivery.deliver([record]);
    await vi.waitFor(() => expect(store.writes).toBeGreaterThan(0));
    const pass = delivery.pass();
    store.open();
    await Promise.all([first, pass]);
    expect(counted()).toBe(1);
    expect(journal.entries).toEqual([]);
    expect(pipeline.pending.affects(['Article'])).toBe(false);
    // A record no delivery holds is still the pass's.
    await journal.record([{ id: 'b', model: 'Article', entityId: null }]);
    await delivery.pass();
    expect(counted()).toBe(2);
  });

  it('a save delivering a record a pass is delivering joins it, and reports how it went', async () => {
    const { store, pipeline, journal, delivery, record, counted } = await recorded();
    const pass = delivery.pass();
    await vi.waitFor(() => expect(store.writes).toBeGreaterThan(0));
    const save = delivery.deliver([record]);
    store.open();
    expect(await save).toEqual({ complete: true, removed: true });
    await pass;
    expect(counted()).toBe(1);
    expect(journal.entries).toEqual([]);
    expect(pipeline.pending.affects(['Article'])).toBe(false);
  });
});
