import { NEAR_COPY_CAP_MS, NearCopies } from './near-copies.js';

const bytes = (n: number) => Buffer.alloc(n, 1);

describe('NearCopies', () => {
  it('keeps copies within maxBytes, evicting the least recently used', () => {
    // Each copy of 100 bytes under a 1-char key counts 100 + 2 + 64 = 166 bytes.
    const copies = new NearCopies(500);
    copies.install(copies.ticket(), 'a', bytes(100), 1_000);
    copies.install(copies.ticket(), 'b', bytes(100), 1_000);
    copies.install(copies.ticket(), 'c', bytes(100), 1_000);
    expect(copies.bytes).toBe(498);
    copies.get('a');
    copies.install(copies.ticket(), 'd', bytes(100), 1_000);
    expect(copies.bytes).toBeLessThanOrEqual(500);
    expect(copies.get('b')).toBeUndefined();
    expect(copies.get('a')).toBeDefined();
    expect(copies.get('d')).toBeDefined();
    expect(copies.size).toBe(3);
  });

  it('refuses a value larger than maxBytes, and counts a replaced copy once', () => {
    const copies = new NearCopies(200);
    expect(copies.install(copies.ticket(), 'big', bytes(300), 1_000)).toBe(false);
    copies.install(copies.ticket(), 'k', bytes(10), 1_000);
    copies.install(copies.ticket(), 'k', bytes(20), 1_000);
    expect(copies.bytes).toBe(20 + 2 + 64);
  });

  it('a read whose ticket predates a drop of one of its keys installs nothing (the install race)', () => {
    const copies = new NearCopies(10_000);
    const before = copies.ticket();
    copies.drop(['k']);
    expect(copies.install(before, 'k', bytes(1), 1_000)).toBe(false);
    // Another key, not dropped since the ticket, installs.
    expect(copies.install(before, 'other', bytes(1), 1_000)).toBe(true);
    // A read sent after the drop installs.
    expect(copies.install(copies.ticket(), 'k', bytes(1), 1_000)).toBe(true);
  });

  it('after a drop of everything, no earlier ticket installs', () => {
    const copies = new NearCopies(10_000);
    const before = copies.ticket();
    copies.install(before, 'a', bytes(1), 1_000);
    copies.dropAll();
    expect(copies.size).toBe(0);
    expect(copies.bytes).toBe(0);
    expect(copies.install(before, 'b', bytes(1), 1_000)).toBe(false);
    expect(copies.install(copies.ticket(), 'b', bytes(1), 1_000)).toBe(true);
  });

  it('drops by key, leaving the others', () => {
    const copies = new NearCopies(10_000);
    copies.install(copies.ticket(), 'a', bytes(1), 1_000);
    copies.install(copies.ticket(), 'b', bytes(1), 1_000);
    copies.drop(['a']);
    expect(copies.get('a')).toBeUndefined();
    expect(copies.get('b')).toBeDefined();
  });

  it('judges keys whose last drop was forgotten by a floor: never installs what may be stale', () => {
    const copies = new NearCopies(1_000_000);
    const before = copies.ticket();
    copies.drop(['first']);
    // Enough drops of other keys to push 'first' out of the remembered ones.
    for (let i = 0; i < 10_001; i++) copies.drop([`k${i}`]);
    expect(copies.install(before, 'first', bytes(1), 1_000)).toBe(false);
  });

  it('serves a copy no longer than its own lifetime, nor than the cap', () => {
    let now = 0;
    const copies = new NearCopies(10_000, () => now);
    copies.install(copies.ticket(), 'short', bytes(1), 100);
    copies.install(copies.ticket(), 'forever', bytes(1), Number.POSITIVE_INFINITY);
    now = 100;
    expect(copies.get('short')).toBeUndefined();
    expect(copies.get('forever')).toBeDefined();
    now = NEAR_COPY_CAP_MS;
    expect(copies.get('forever')).toBeUndefined();
    expect(copies.bytes).toBe(0);
  });

  it('keeps nothing whose lifetime is not a positive number', () => {
    const copies = new NearCopies(10_000, () => 0);
    for (const ttl of [Number.NaN, 0, -2, -1]) {
      expect(copies.install(copies.ticket(), `k${ttl}`, bytes(1), ttl)).toBe(false);
    }
    expect(copies.size).toBe(0);
  });

  describe('getAll', () => {
    let now = 1_000;
    const clock = () => now;
    const start = () => {
      const copies = new NearCopies(10_000, clock);
      copies.install(copies.ticket(), 'page', bytes(10), 5_000);
      copies.install(copies.ticket(), 'token', Buffer.from('t1'), 2_000);
      return { copies, keys: ['page', 'token'] as const };
    };

    it('answers the same keys with the same frozen values while nothing held changed', () => {
      const { copies, keys } = start();
      const first = copies.getAll(keys)!;
      expect(first.map(value => value.toString())).toEqual([bytes(10).toString(), 't1']);
      expect(Object.isFrozen(first)).toBe(true);
      expect(copies.getAll(keys)).toBe(first);
      expect(copies.getAll([...keys])).toBe(first);
      // The same array filled with other keys is read again.
      copies.install(copies.ticket(), 'other', Buffer.from('o'), 2_000);
      const scratch: string[] = [...keys];
      const again = copies.getAll(scratch)!;
      scratch[1] = 'other';
      expect(copies.getAll(scratch)!.map(value => value.toString())).toEqual([
        again[0]!.toString(),
        'o',
      ]);
    });

    it('reads again after any install, drop or expiry, and never returns a dropped copy', () => {
      const { copies, keys } = start();
      const first = copies.getAll(keys)!;
      copies.install(copies.ticket(), 'token', Buffer.from('t2'), 2_000);
      const second = copies.getAll(keys)!;
      expect(second).not.toBe(first);
      expect(second[1]!.toString()).toBe('t2');
      copies.drop(['token']);
      expect(copies.getAll(keys)).toBeUndefined();
      copies.install(copies.ticket(), 'token', Buffer.from('t3'), 2_000);
      expect(copies.getAll(keys)![1]!.toString()).toBe('t3');
      copies.dropAll();
      expect(copies.getAll(keys)).toBeUndefined();
    });

    it('stops at the first of its copies to expire', () => {
      const { copies, keys } = start();
      expect(copies.getAll(keys)).toBeDefined();
      now += 2_000;
      expect(copies.getAll(keys)).toBeUndefined();
      expect(copies.get('page')).toBeDefined();
    });
  });
});
