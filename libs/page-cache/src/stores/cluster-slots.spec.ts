import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, crc16, groupBySlot, keySlot } from './cluster-slots.js';

describe('crc16', () => {
  it('is CRC16/XMODEM (the check value of "123456789" is 0x31C3)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(crc16(Buffer.alloc(0))).toBe(0);
  });
});

describe('keySlot', () => {
  // Answers of `CLUSTER KEYSLOT` from a real redis-server 7.0 in cluster mode.
  it.each([
    ['123456789', 12739],
    ['foo', 12182],
    ['bar', 5061],
    ['', 0],
    ['a', 15495],
    ['{', 4092],
    ['ünïcödé', 9841],
    ['日本語', 12788],
    ['cache:1:page:PostsController.show:Author,Post/42:kX3c', 3089],
    ['cache:1:~gen:Post/42', 15984],
    ['cache:1:~idx:Post', 11948],
  ])('slot of %j is %i, as CLUSTER KEYSLOT says', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
    expect(keySlot(Buffer.from(key))).toBe(slot);
  });

  it.each([
    ['{user1000}.following', 3443],
    ['{user1000}.followers', 3443],
    ['foo{bar}{zap}', 5061], // the first tag only: same slot as "bar"
    ['foo{}{bar}', 8363], // an empty tag hashes the whole key (cluster-key-slot 1.1 says 4015)
    ['foo{{bar}}zap', 4015], // the tag is "{bar"
    ['{}foo', 9500],
  ])('hashes only the hash tag of %j (slot %i)', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it('stays within the slot range', () => {
    for (let i = 0; i < 2000; i++) {
      const slot = keySlot(`key:${i}:${Math.random()}`);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(CLUSTER_SLOTS);
    }
  });
});

describe('groupBySlot', () => {
  it('groups keys of one slot together and remembers where each key came from', () => {
    const keys = ['foo', '{user1000}.a', 'bar', '{user1000}.b', 'x{bar}'];
    const groups = groupBySlot(keys);
    expect(groups).toEqual([
      { keys: ['foo'], positions: [0] },
      { keys: ['{user1000}.a', '{user1000}.b'], positions: [1, 3] },
      { keys: ['bar', 'x{bar}'], positions: [2, 4] },
    ]);
    expect(groupBySlot([])).toEqual([]);
  });
});
