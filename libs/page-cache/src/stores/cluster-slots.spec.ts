import { describe, expect, it } from 'vitest';
import { groupBySlot } from './cluster-slots.js';

describe('groupBySlot', () => {
  it('groups keys of one slot together and remembers where each key came from', () => {
    // "x{bar}" hashes its tag only, so it shares the slot of "bar".
    const keys = ['foo', '{user1000}.a', 'bar', '{user1000}.b', 'x{bar}'];
    expect(groupBySlot(keys)).toEqual([
      { keys: ['foo'], positions: [0] },
      { keys: ['{user1000}.a', '{user1000}.b'], positions: [1, 3] },
      { keys: ['bar', 'x{bar}'], positions: [2, 4] },
    ]);
    expect(groupBySlot([])).toEqual([]);
  });
});
