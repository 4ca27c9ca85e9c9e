import { BoundedMemo } from './bounded-memo.js';

describe('BoundedMemo', () => {
  it('remembers values until its bounds push the oldest out', () => {
    const memo = new BoundedMemo<number>(2, 100, 10);
    memo.set('a', 1);
    memo.set('b', 2);
    expect([memo.get('a'), memo.get('b')]).toEqual([1, 2]);
    memo.set('c', 3);
    expect([memo.get('a'), memo.get('b'), memo.get('c')]).toEqual([undefined, 2, 3]);
    expect(memo.size()).toEqual({ entries: 2, weight: 2 });
  });

  it('keeps its weight within the bound, and refuses keys too long to be worth keeping', () => {
    const memo = new BoundedMemo<string>(1_000, 50, 20);
    for (let i = 0; i < 100; i++) memo.set(`key-${i}`, 'v', 10);
    expect(memo.size().weight).toBeLessThanOrEqual(50);
    expect(memo.size().entries).toBe(5);
    memo.set('x'.repeat(21), 'long');
    expect(memo.get('x'.repeat(21))).toBeUndefined();
    memo.set('heavy', 'v', 51);
    expect(memo.get('heavy')).toBeUndefined();
  });

  it('replaces a value under the same key without counting it twice', () => {
    const memo = new BoundedMemo<number>(10, 100, 10);
    memo.set('a', 1, 30);
    memo.set('a', 2, 40);
    expect(memo.get('a')).toBe(2);
    expect(memo.size()).toEqual({ entries: 1, weight: 40 });
  });
});
