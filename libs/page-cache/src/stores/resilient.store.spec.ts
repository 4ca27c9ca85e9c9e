import { MemoryStore } from './memory.store.js';
import { ResilientStore, StoreUnavailableError } from './resilient.store.js';

/** A real memory store whose reads can be made to fail like an unreachable Redis. */
class FlakyStore extends MemoryStore {
  down = false;
  reads = 0;
  override async get(key: string): Promise<Buffer | undefined> {
    this.reads += 1;
    if (this.down) throw new Error('Command timed out');
    return super.get(key);
  }
  override async incrBy(key: string, delta: number, ttlMs: number): Promise<number> {
    if (this.down) throw new Error('Connection is closed.');
    return super.incrBy(key, delta, ttlMs);
  }
}

describe('ResilientStore (circuit breaker)', () => {
  let inner: FlakyStore;
  let store: ResilientStore;
  let states: string[];

  beforeEach(() => {
    inner = new FlakyStore();
    store = new ResilientStore(inner, { failures: 3, cooldownMs: 50 });
    states = [];
    store.onStateChange(state => states.push(state));
  });
  afterEach(() => store.close());

  it('opens after consecutive failures and then fails fast without calling the store', async () => {
    inner.down = true;
    for (let i = 0; i < 3; i++) await expect(store.get('k')).rejects.toThrow('timed out');
    expect(store.state).toBe('open');
    const reads = inner.reads;
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(inner.reads).toBe(reads);
  });

  it('probes once after the cooldown and closes when the store answers', async () => {
    inner.down = true;
    for (let i = 0; i < 3; i++) await expect(store.get('k')).rejects.toThrow();
    inner.down = false;
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(await store.get('k')).toBeUndefined();
    expect(store.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the probe fails', async () => {
    inner.down = true;
    for (let i = 0; i < 3; i++) await expect(store.get('k')).rejects.toThrow();
    await new Promise(resolve => setTimeout(resolve, 60));
    await expect(store.get('k')).rejects.toThrow('timed out');
    expect(store.state).toBe('open');
  });

  it('does not count answers of the store (wrong type, not an integer) as outages', async () => {
    await inner.set('text', Buffer.from('abc'), 0);
    for (let i = 0; i < 5; i++) await expect(store.incrBy('text', 1, 0)).rejects.toThrow();
    expect(store.state).toBe('closed');
  });

  it('a success resets the count of consecutive failures', async () => {
    inner.down = true;
    await expect(store.get('k')).rejects.toThrow();
    await expect(store.get('k')).rejects.toThrow();
    inner.down = false;
    await store.get('k');
    inner.down = true;
    await expect(store.get('k')).rejects.toThrow();
    expect(store.state).toBe('closed');
  });
});
