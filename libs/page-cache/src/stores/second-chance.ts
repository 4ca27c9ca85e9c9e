/** An entry kept in recency order by {@link secondChance}. */
export interface Reused {
  /** Read since the eviction scan last passed it, or since it was put (absent: not read). */
  reused?: boolean;
}

/**
 * The key to evict next from `entries`, a `Map` in insertion order, by the second-chance rule
 * (CLOCK, an approximation of least recently used): from the oldest end, an entry read since the
 * scan last passed it is moved to the newest end with its mark cleared, and the first one not read
 * is the one. A read only sets a mark, so a hit never reorders the map (re-inserting a key on every
 * read costs the map a new table now and then; with the two or three keys of one page, on nearly
 * every hit). Each mark moves its entry at most once, so a scan costs no more than the reads
 * before it. `undefined` when `entries` is empty.
 */
export function secondChance<K, V extends Reused>(entries: Map<K, V>): K | undefined {
  for (const [key, entry] of entries) {
    if (!entry.reused) return key;
    entry.reused = false;
    // A key set again during iteration is visited again, unmarked: the scan ends.
    entries.delete(key);
    entries.set(key, entry);
  }
  return undefined;
}
