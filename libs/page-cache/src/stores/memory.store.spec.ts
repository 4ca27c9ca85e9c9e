import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from './memory.store.js';
import { CounterRangeError } from '../errors.js';

const buf = (s: string): Buffer => Buffer.from(s);

/** Drains a scan into its batches. */
async function collect(iterable: AsyncIterable<string[]>): Promise<string[][]> {
  const batches: string[][] = [];
  for await (const batch of iterable) batches.push(batch);
  return batches;
}

describe('MemoryStore', () => {
  let store: MemoryStore;

  beforeEach(() => {
    // Date is faked too, so expiry is driven by advancing the clock.
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    store = new MemoryStore();
  });

  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  /** Swaps in a store with other bounds, closing the default one. */
  async function boundedStore(
    options: ConstructorParameters<typeof MemoryStore>[0],
  ): Promise<void> {
    await store.close();
    store = new MemoryStore(options);
  }

  describe('values', () => {
    it('reads back what was written, and undefined for a missing key', async () => {
      expect(await store.set('k', buf('v'), 0)).toBe(true);
      expect((await store.get('k'))?.toString()).toBe('v');
      expect(await store.get('missing')).toBeUndefined();
    });

    it('overwrites a value and resets its TTL', async () => {
      await store.set('k', buf('1'), 1000);
      await store.set('k', buf('2'), 0);
      expect((await store.get('k'))?.toString()).toBe('2');
      expect(await store.ttl('k')).toBeNull();
      await store.set('k', buf('3'), 5000);
      expect(await store.ttl('k')).toBe(5000);
    });

    it('with onlyIfAbsent writes only when the key is missing or expired', async () => {
      expect(await store.set('k', buf('1'), 100, { onlyIfAbsent: true })).toBe(true);
      expect(await store.set('k', buf('2'), 100, { onlyIfAbsent: true })).toBe(false);
      expect((await store.get('k'))?.toString()).toBe('1');
      await store.addToSets(['s'], 'm', 0);
      expect(await store.set('s', buf('x'), 0, { onlyIfAbsent: true })).toBe(false);
      vi.advanceTimersByTime(100);
      expect(await store.set('k', buf('3'), 0, { onlyIfAbsent: true })).toBe(true);
      expect((await store.get('k'))?.toString()).toBe('3');
    });

    it('overwrites a set with a value, and get ignores sets', async () => {
      await store.addToSets(['s'], 'm', 0);
      expect(await store.get('s')).toBeUndefined();
      expect(await store.has('s')).toBe(true);
      await store.set('s', buf('v'), 0);
      expect((await store.get('s'))?.toString()).toBe('v');
      expect(await store.members('s')).toEqual([]);
    });

    it('getMany keeps the order of the keys', async () => {
      await store.setMany(
        [
          ['a', buf('A')],
          ['c', buf('C')],
        ],
        1000,
      );
      const values = await store.getMany(['c', 'missing', 'a']);
      expect(values.map(v => v?.toString())).toEqual(['C', undefined, 'A']);
      expect(await store.ttl('a')).toBe(1000);
      expect(await store.ttl('c')).toBe(1000);
    });

    it('delete counts only keys that existed, of any type', async () => {
      await store.set('a', buf('1'), 0);
      await store.set('b', buf('1'), 50);
      await store.addToSets(['s'], 'm', 0);
      vi.advanceTimersByTime(50);
      expect(await store.delete(['a', 'b', 's', 'missing', 'a'])).toBe(2);
      expect(await store.has('a')).toBe(false);
      expect(await store.has('s')).toBe(false);
    });

    it('deleteIfEquals deletes only an equal value', async () => {
      await store.set('lock', buf('token-1'), 0);
      expect(await store.deleteIfEquals('lock', buf('token-2'))).toBe(false);
      expect(await store.has('lock')).toBe(true);
      expect(await store.deleteIfEquals('lock', buf('token-1'))).toBe(true);
      expect(await store.has('lock')).toBe(false);
      expect(await store.deleteIfEquals('lock', buf('token-1'))).toBe(false);
      await store.addToSets(['s'], 'token-1', 0);
      expect(await store.deleteIfEquals('s', buf('token-1'))).toBe(false);
    });

    it('rejects negative and non-finite TTLs', async () => {
      await expect(store.set('k', buf('v'), -1)).rejects.toThrow(RangeError);
      await expect(store.set('k', buf('v'), Number.NaN)).rejects.toThrow(RangeError);
      await expect(store.expire('k', Infinity)).rejects.toThrow(RangeError);
    });

    it('ping resolves', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });

  describe('expiry', () => {
    it('expires a value once its TTL has elapsed', async () => {
      await store.set('k', buf('v'), 50);
      vi.advanceTimersByTime(49);
      expect(await store.has('k')).toBe(true);
      expect(await store.ttl('k')).toBe(1);
      vi.advanceTimersByTime(1);
      expect(await store.get('k')).toBeUndefined();
      expect(await store.has('k')).toBe(false);
      expect(await store.ttl('k')).toBeUndefined();
    });

    it('reports the remaining TTL, null without expiry, undefined when missing', async () => {
      await store.set('a', buf('v'), 1000);
      await store.set('b', buf('v'), 0);
      vi.advanceTimersByTime(400);
      expect(await store.ttl('a')).toBe(600);
      expect(await store.ttl('b')).toBeNull();
      expect(await store.ttl('missing')).toBeUndefined();
    });

    it('rounds a fractional remaining TTL up so a live key never reports 0', async () => {
      await store.set('k', buf('v'), 10.5);
      vi.advanceTimersByTime(10);
      expect(await store.ttl('k')).toBe(1);
    });

    it('expire sets a TTL, 0 removes it, and a missing key reports false', async () => {
      await store.set('k', buf('v'), 0);
      expect(await store.expire('k', 100)).toBe(true);
      expect(await store.ttl('k')).toBe(100);
      expect(await store.expire('k', 0)).toBe(true);
      expect(await store.ttl('k')).toBeNull();
      vi.advanceTimersByTime(1000);
      expect(await store.has('k')).toBe(true);
      expect(await store.expire('missing', 100)).toBe(false);
      expect(await store.expire('missing', 0)).toBe(false);
      expect(await store.has('missing')).toBe(false);
    });

    it('an expired key cannot be revived by expire', async () => {
      await store.set('k', buf('v'), 10);
      vi.advanceTimersByTime(10);
      expect(await store.expire('k', 0)).toBe(false);
    });

    it('sweeps expired entries that are never read again', async () => {
      await store.set('short', buf('v'), 1000);
      await store.set('forever', buf('v'), 0);
      expect(store.size).toBe(2);
      vi.advanceTimersByTime(29_999);
      // Nothing has read `short`, and the sweep has not run yet.
      expect(store.size).toBe(2);
      vi.advanceTimersByTime(1);
      expect(store.size).toBe(1);
      expect(store.bytes).toBe('forever'.length + 1);
    });

    it('close stops the sweep timer and drops the entries', async () => {
      const timers = vi.getTimerCount();
      await store.set('k', buf('v'), 0);
      await store.close();
      expect(vi.getTimerCount()).toBe(timers - 1);
      expect(store.size).toBe(0);
      expect(store.bytes).toBe(0);
    });

    it('works with real timers too', async () => {
      vi.useRealTimers();
      const real = new MemoryStore();
      try {
        await real.set('k', buf('v'), 30);
        await real.addToSets(['s'], 'm', 30);
        expect(await real.has('k')).toBe(true);
        await new Promise(resolve => setTimeout(resolve, 60));
        expect(await real.get('k')).toBeUndefined();
        expect(await real.members('s')).toEqual([]);
      } finally {
        await real.close();
      }
    });
  });

  describe('incrBy', () => {
    it('starts a missing key at 0 and stores the decimal string', async () => {
      expect(await store.incrBy('n', 5, 0)).toBe(5);
      expect(await store.incrBy('n', -7, 0)).toBe(-2);
      expect((await store.get('n'))?.toString()).toBe('-2');
    });

    it('applies the TTL only when it creates the key', async () => {
      await store.incrBy('n', 1, 1000);
      vi.advanceTimersByTime(400);
      await store.incrBy('n', 1, 5000);
      expect(await store.ttl('n')).toBe(600);
      vi.advanceTimersByTime(600);
      expect(await store.incrBy('n', 1, 0)).toBe(1);
      expect(await store.ttl('n')).toBeNull();
    });

    it('keeps the expiry of a key written by set', async () => {
      await store.set('n', buf('10'), 1000);
      expect(await store.incrBy('n', 1, 0)).toBe(11);
      expect(await store.ttl('n')).toBe(1000);
    });

    it('keeps no expiry on an existing permanent key', async () => {
      await store.set('n', buf('10'), 0);
      await store.incrBy('n', 1, 1000);
      expect(await store.ttl('n')).toBeNull();
    });

    it.each(['abc', '1.5', ' 1', '1 ', '01', '+1', '-0', '-', '', '1e3', '0x1', '９'])(
      'rejects the stored value %j as Redis does',
      async value => {
        await store.set('n', buf(value), 0);
        await expect(store.incrBy('n', 1, 0)).rejects.toMatchObject({ code: 'E_NOT_AN_INTEGER' });
        expect((await store.get('n'))?.toString()).toBe(value);
      },
    );

    it('reads values across the 64-bit range, as Redis does, and nothing beyond', async () => {
      await store.set('max', buf('9223372036854775807'), 0);
      await expect(store.incrBy('max', -1, 0)).rejects.toThrow(CounterRangeError);
      await store.set('min', buf('-9223372036854775808'), 0);
      await expect(store.incrBy('min', 1, 0)).rejects.toThrow(CounterRangeError);
      await store.set('big', buf('9223372036854775808'), 0);
      await expect(store.incrBy('big', 0, 0)).rejects.toMatchObject({ code: 'E_NOT_AN_INTEGER' });
    });

    it('returns exact results up to ±(2^53 - 1), and refuses any beyond, changing nothing', async () => {
      const max = Number.MAX_SAFE_INTEGER;
      await store.set('n', buf(String(max - 1)), 0);
      expect(await store.incrBy('n', 1, 0)).toBe(max);
      const refusal = store.incrBy('n', 1, 0);
      await expect(refusal).rejects.toThrow(CounterRangeError);
      await expect(refusal).rejects.toMatchObject({ key: 'n', result: '9007199254740992' });
      expect((await store.get('n'))?.toString()).toBe(String(max));

      await store.set('m', buf('9007199254740993'), 0);
      await expect(store.incrBy('m', -1, 0)).rejects.toThrow(CounterRangeError);
      expect((await store.get('m'))?.toString()).toBe('9007199254740993');
      expect(await store.incrBy('m', -2, 0)).toBe(max);

      await store.set('neg', buf(String(-max)), 0);
      await expect(store.incrBy('neg', -1, 0)).rejects.toThrow(/-9007199254740992/);
      expect((await store.get('neg'))?.toString()).toBe(String(-max));
    });

    it('rejects a non-integer delta and a set key', async () => {
      await expect(store.incrBy('n', 1.5, 0)).rejects.toMatchObject({ code: 'E_NOT_AN_INTEGER' });
      await expect(store.incrBy('n', Number.NaN, 0)).rejects.toMatchObject({
        code: 'E_NOT_AN_INTEGER',
      });
      expect(await store.has('n')).toBe(false);
      await store.addToSets(['s'], 'm', 0);
      await expect(store.incrBy('s', 1, 0)).rejects.toMatchObject({ code: 'E_WRONG_TYPE' });
    });
  });

  describe('sets', () => {
    it('adds a member to every set, without duplicates', async () => {
      await store.addToSets(['s1', 's2'], 'a', 0);
      await store.addToSets(['s1'], 'b', 0);
      await store.addToSets(['s1'], 'a', 0);
      expect((await store.members('s1')).sort()).toEqual(['a', 'b']);
      expect(await store.members('s2')).toEqual(['a']);
      expect(await store.members('missing')).toEqual([]);
      expect(store.bytes).toBe('s1'.length + 2 + 's2'.length + 1);
    });

    it('gives a new set the TTL, or no expiry for 0', async () => {
      await store.addToSets(['timed'], 'm', 1000);
      await store.addToSets(['forever'], 'm', 0);
      expect(await store.ttl('timed')).toBe(1000);
      expect(await store.ttl('forever')).toBeNull();
    });

    it('extends a set to the later expiry and never shortens it', async () => {
      await store.addToSets(['s'], 'a', 1000);
      await store.addToSets(['s'], 'b', 300);
      expect(await store.ttl('s')).toBe(1000);
      vi.advanceTimersByTime(800);
      await store.addToSets(['s'], 'c', 500);
      expect(await store.ttl('s')).toBe(500);
      await store.addToSets(['s'], 'd', 0);
      expect(await store.ttl('s')).toBeNull();
    });

    it('keeps a set without expiry permanent', async () => {
      await store.addToSets(['s'], 'a', 0);
      await store.addToSets(['s'], 'b', 100);
      expect(await store.ttl('s')).toBeNull();
    });

    it('a set with an explicit expiry via expire is extended the same way', async () => {
      await store.addToSets(['s'], 'a', 0);
      await store.expire('s', 200);
      await store.addToSets(['s'], 'b', 100);
      expect(await store.ttl('s')).toBe(200);
    });

    it('starts over after the set expired', async () => {
      await store.addToSets(['s'], 'a', 100);
      vi.advanceTimersByTime(100);
      await store.addToSets(['s'], 'b', 50);
      expect(await store.members('s')).toEqual(['b']);
      expect(await store.ttl('s')).toBe(50);
    });

    it('replaces a plain value with a set', async () => {
      await store.set('s', buf('value'), 0);
      await store.addToSets(['s'], 'm', 1000);
      expect(await store.members('s')).toEqual(['m']);
      expect(await store.get('s')).toBeUndefined();
      expect(await store.ttl('s')).toBe(1000);
      expect(store.bytes).toBe(2);
    });

    it('removeFromSet deletes the set once it is empty', async () => {
      await store.addToSets(['s'], 'a', 0);
      await store.addToSets(['s'], 'b', 0);
      await store.removeFromSet('s', ['a', 'missing']);
      expect(await store.members('s')).toEqual(['b']);
      expect(store.bytes).toBe(2);
      await store.removeFromSet('s', ['b']);
      expect(await store.has('s')).toBe(false);
      expect(store.bytes).toBe(0);
      await expect(store.removeFromSet('s', ['b'])).resolves.toBeUndefined();
    });

    it('leaves a plain value alone when asked for members or to remove some', async () => {
      await store.set('v', buf('x'), 0);
      expect(await store.members('v')).toEqual([]);
      await store.removeFromSet('v', ['x']);
      expect((await store.get('v'))?.toString()).toBe('x');
    });
  });

  describe('LRU bounds', () => {
    it('evicts the least recently used entry beyond maxEntries', async () => {
      await boundedStore({ maxEntries: 3 });
      await store.set('a', buf('1'), 0);
      await store.set('b', buf('1'), 0);
      await store.set('c', buf('1'), 0);
      // Reading `a` makes `b` the least recently used.
      await store.get('a');
      await store.set('d', buf('1'), 0);
      expect(await store.has('b')).toBe(false);
      expect(await store.getMany(['a', 'c', 'd'])).not.toContain(undefined);
      // Overwriting `c` makes `a` the least recently used.
      await store.set('c', buf('2'), 0);
      await store.addToSets(['e'], 'm', 0);
      expect(await store.has('a')).toBe(false);
      expect(store.size).toBe(3);
    });

    it('keeps an entry written after others were read over them (a page just filled)', async () => {
      await boundedStore({ maxEntries: 3 });
      await store.set('a', buf('1'), 0);
      await store.set('b', buf('1'), 0);
      await store.get('a');
      await store.get('b');
      await store.set('c', buf('1'), 0);
      await store.set('d', buf('1'), 0);
      expect(await store.has('c')).toBe(true);
      expect(await store.has('a')).toBe(false);
    });

    it('does not count has or ttl as a use', async () => {
      await boundedStore({ maxEntries: 2 });
      await store.set('a', buf('1'), 0);
      await store.set('b', buf('1'), 0);
      await store.has('a');
      await store.ttl('a');
      await store.set('c', buf('1'), 0);
      expect(await store.has('a')).toBe(false);
      expect(await store.has('b')).toBe(true);
    });

    it('evicts least recently used entries until the bytes fit', async () => {
      // Each entry weighs 2 (key) + 8 (value) = 10 bytes.
      await boundedStore({ maxBytes: 30 });
      await store.set('k1', Buffer.alloc(8), 0);
      await store.set('k2', Buffer.alloc(8), 0);
      await store.set('k3', Buffer.alloc(8), 0);
      expect(store.bytes).toBe(30);
      await store.get('k1');
      await store.set('k4', Buffer.alloc(8), 0);
      expect(await store.has('k2')).toBe(false);
      expect(store.bytes).toBe(30);
      // A 20-byte entry pushes out the two least recently used: k3, then k1.
      await store.set('k5', Buffer.alloc(18), 0);
      expect(await store.has('k3')).toBe(false);
      expect(await store.has('k1')).toBe(false);
      expect(await store.has('k4')).toBe(true);
      expect(await store.has('k5')).toBe(true);
      expect(store.bytes).toBe(30);
    });

    it('counts set members against maxBytes', async () => {
      await boundedStore({ maxBytes: 20 });
      await store.set('v', Buffer.alloc(9), 0);
      await store.addToSets(['s'], 'aaaa', 0);
      await store.addToSets(['s'], 'bbbb', 0);
      expect(store.bytes).toBe(19);
      await store.addToSets(['s'], 'cccc', 0);
      expect(await store.has('v')).toBe(false);
      expect(await store.members('s')).toHaveLength(3);
      expect(store.bytes).toBe(13);
    });

    it('refuses a value heavier than maxBytes without evicting anything else', async () => {
      await boundedStore({ maxBytes: 100 });
      await store.set('small', Buffer.alloc(10), 0);
      await store.set('big', Buffer.alloc(10), 0);
      expect(await store.set('big', Buffer.alloc(98), 0)).toBe(false);
      // The old value must not survive a failed overwrite, and nothing else is touched.
      expect(await store.has('big')).toBe(false);
      expect(await store.has('small')).toBe(true);
      expect(store.bytes).toBe(15);
      // Exactly maxBytes fits.
      expect(await store.set('big', Buffer.alloc(97), 0)).toBe(true);
      expect(await store.has('small')).toBe(false);
    });

    it('drops a set that outgrows maxBytes on its own instead of flushing the cache', async () => {
      await boundedStore({ maxBytes: 10 });
      await store.set('v', Buffer.alloc(4), 0);
      await store.addToSets(['s'], 'abc', 0);
      await store.addToSets(['s'], 'defghijklm', 0);
      expect(await store.has('s')).toBe(false);
      expect(await store.has('v')).toBe(true);
      expect(store.bytes).toBe(5);
    });

    it('validates its bounds', () => {
      expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(RangeError);
      expect(() => new MemoryStore({ maxEntries: 1.5 })).toThrow(RangeError);
      expect(() => new MemoryStore({ maxBytes: 0 })).toThrow(RangeError);
      expect(() => new MemoryStore({ maxBytes: Number.NaN })).toThrow(RangeError);
    });
  });

  describe('scan', () => {
    it('yields the matching keys in batches of batchSize examined keys', async () => {
      for (let i = 0; i < 2500; i++) await store.set(`pc:${i}`, buf('v'), 0);
      await store.set('other:1', buf('v'), 0);
      const batches = await collect(store.scan('pc:*', 1000));
      expect(batches.map(b => b.length)).toEqual([1000, 1000, 500]);
      const keys = batches.flat();
      expect(new Set(keys).size).toBe(2500);
      expect(keys).not.toContain('other:1');
    });

    it('defaults to batches of 1000 and skips empty batches', async () => {
      for (let i = 0; i < 1500; i++) await store.set(`x:${i}`, buf('v'), 0);
      await store.set('wanted', buf('v'), 0);
      expect(await collect(store.scan('*'))).toHaveLength(2);
      expect(await collect(store.scan('want?d'))).toEqual([['wanted']]);
      expect(await collect(store.scan('nothing*'))).toEqual([]);
    });

    it('matches with Redis globs, sets included', async () => {
      for (const key of ['a:1', 'a:2', 'a:x', 'b:1', 'a*']) await store.set(key, buf('v'), 0);
      await store.addToSets(['a:3'], 'm', 0);
      expect((await collect(store.scan('a:[0-9]'))).flat().sort()).toEqual(['a:1', 'a:2', 'a:3']);
      expect((await collect(store.scan('a\\*'))).flat()).toEqual(['a*']);
    });

    it('skips expired keys', async () => {
      await store.set('k:1', buf('v'), 10);
      await store.set('k:2', buf('v'), 0);
      vi.advanceTimersByTime(10);
      expect((await collect(store.scan('k:*'))).flat()).toEqual(['k:2']);
    });

    it('lets macrotasks run between batches', async () => {
      vi.useRealTimers();
      const real = new MemoryStore();
      try {
        for (let i = 0; i < 3; i++) await real.set(`k:${i}`, buf('v'), 0);
        const events: string[] = [];
        setImmediate(() => events.push('macrotask'));
        for await (const batch of real.scan('*', 1)) events.push(batch[0]);
        expect(events.indexOf('macrotask')).toBeGreaterThan(0);
        expect(events.indexOf('macrotask')).toBeLessThan(events.length - 1);
      } finally {
        await real.close();
      }
    });

    it('does not hang under fake timers', async () => {
      for (let i = 0; i < 5; i++) await store.set(`k:${i}`, buf('v'), 0);
      expect((await collect(store.scan('*', 2))).flat()).toHaveLength(5);
    });

    it('rejects a batch size below 1', async () => {
      await expect(collect(store.scan('*', 0))).rejects.toThrow(RangeError);
    });
  });
});
