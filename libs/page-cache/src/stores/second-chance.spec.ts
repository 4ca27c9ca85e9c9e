import { describe, expect, it } from 'vitest';
import { secondChance, type Reused } from './second-chance.js';

function entries(...keys: string[]): Map<string, Reused> {
  return new Map(keys.map(key => [key, { reused: false }]));
}

describe('secondChance', () => {
  it('picks the oldest entry not read', () => {
    const map = entries('a', 'b', 'c');
    expect(secondChance(map)).toBe('a');
    expect([...map.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('moves a read entry to the newest end with its mark cleared, once', () => {
    const map = entries('a', 'b', 'c');
    map.get('a')!.reused = true;
    expect(secondChance(map)).toBe('b');
    expect([...map.keys()]).toEqual(['b', 'c', 'a']);
    expect(map.get('a')!.reused).toBe(false);
    map.delete('b');
    map.delete('c');
    // Not read since the scan passed it: it goes now.
    expect(secondChance(map)).toBe('a');
  });

  it('ends when every entry was read: the oldest goes after one pass', () => {
    const map = entries('a', 'b', 'c');
    for (const entry of map.values()) entry.reused = true;
    expect(secondChance(map)).toBe('a');
    expect([...map.values()].every(entry => !entry.reused)).toBe(true);
  });

  it('has nothing to evict in an empty map', () => {
    expect(secondChance(new Map<string, Reused>())).toBeUndefined();
  });
});
