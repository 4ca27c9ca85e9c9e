import type { PageMeta } from '../codec.js';
import { encodeEntry } from '../codec.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { MemoryStore } from '../stores/memory.store.js';
import { freshness, lookupPage } from './lookup.js';

const meta = (over: Partial<PageMeta> = {}): PageMeta => ({
  k: 'page',
  s: 200,
  h: [],
  e: '"e"',
  t: 1_000,
  l: 1_000,
  r: 10,
  ...over,
});

describe('freshness', () => {
  it('is fresh before the TTL, stale after it, and never stale without one', () => {
    expect(freshness(meta(), 0, 1_500)).toBe('fresh');
    expect(freshness(meta(), 0, 2_000)).toBe('stale');
    expect(freshness(meta({ l: 0 }), 0, 1e12)).toBe('fresh');
  });

  it('draws an early refresh more often as expiry nears (XFetch)', () => {
    // -log(random) = 1 with random = 1/e: early once now + render time × beta reaches expiry.
    const random = () => Math.exp(-1);
    expect(freshness(meta(), 1, 1_980, random)).toBe('fresh');
    expect(freshness(meta(), 1, 1_995, random)).toBe('early');
    expect(freshness(meta(), 0, 1_995, random)).toBe('fresh');
  });
});

describe('lookupPage', () => {
  const store = new MemoryStore();
  const tracker = new DependencyTracker(store, 'ns:1');
  const location = (key: string, deps: string[] = []) => ({ key, deps, tags: [] });

  it('misses with the generations to store under, creating missing tokens', async () => {
    const found = await lookupPage(store, tracker, location('ns:1:page:a', ['Post']), 1024);
    expect(found.page).toBeUndefined();
    expect(found.generations).toHaveLength(1);
  });

  it('finds a page only while its recorded tokens are current', async () => {
    const [token] = (await lookupPage(store, tracker, location('k', ['Post']), 1024)).generations!;
    await store.set('k', encodeEntry(meta({ d: ['Post'], g: [token!] }), Buffer.from('body')), 0);
    expect(
      (await lookupPage(store, tracker, location('k', ['Post']), 1024)).page?.body.toString(),
    ).toBe('body');
    await tracker.invalidate(['Post']);
    const after = await lookupPage(store, tracker, location('k', ['Post']), 1024);
    expect(after.page).toBeUndefined();
    expect(after.generations?.[0]).not.toBe(token);
  });

  it('treats foreign bytes as a miss and removes them', async () => {
    await store.set('foreign', Buffer.from('not an entry'), 0);
    expect((await lookupPage(store, tracker, location('foreign'), 1024)).generations).toEqual([]);
    await new Promise(resolve => setImmediate(resolve));
    expect(await store.get('foreign')).toBeUndefined();
  });
});
