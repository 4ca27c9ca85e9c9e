import { createHash } from 'node:crypto';
import type { PageMeta } from '../codec.js';
import { encodeEntry } from '../codec.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { MemoryStore } from '../stores/memory.store.js';
import { LocalBodies } from './local-bodies.js';
import { freshness, lookupPage, lookupPageNow } from './lookup.js';

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
  const location = (key: string, deps: string[] = []) => ({ key, deps });

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

  it('decodes the Buffer a store hands out once, and a replaced entry anew', async () => {
    const [token] = (await lookupPage(store, tracker, location('d', ['Post']), 1024)).generations!;
    const write = (body: string) =>
      store.set('d', encodeEntry(meta({ d: ['Post'], g: [token!] }), Buffer.from(body)), 0);
    await write('one');
    const first = (await lookupPage(store, tracker, location('d', ['Post']), 1024)).page;
    const again = (await lookupPage(store, tracker, location('d', ['Post']), 1024)).page;
    expect(again).toBe(first);
    await write('two');
    const replaced = (await lookupPage(store, tracker, location('d', ['Post']), 1024)).page;
    expect(replaced).not.toBe(first);
    expect(replaced?.body.toString()).toBe('two');
  });

  it('treats foreign bytes as a miss and removes them', async () => {
    await store.set('foreign', Buffer.from('not an entry'), 0);
    expect((await lookupPage(store, tracker, location('foreign'), 1024)).generations).toEqual([]);
    await new Promise(resolve => setImmediate(resolve));
    expect(await store.get('foreign')).toBeUndefined();
  });
});

describe('lookupPage reusing bodies', () => {
  /** A memory store that can read ranges, as the Redis store does with GETRANGE. */
  class RangeStore extends MemoryStore {
    ranges = 0;
    /** Across a socket, nothing is answered from memory. */
    override getManyNow(): undefined {
      return undefined;
    }
    async getHead(
      key: string,
      length: number,
      keys: readonly string[],
    ): Promise<[Buffer | undefined, (Buffer | undefined)[]]> {
      this.ranges++;
      const value = await this.get(key);
      const head =
        value === undefined || value.length === 0 ? undefined : value.subarray(0, length);
      return [head, await this.getMany(keys)];
    }
  }
  const store = new RangeStore();
  const tracker = new DependencyTracker(store, 'ns:2');
  const bodies = new LocalBodies(1024 * 1024);
  const at = { key: 'ns:2:page:p', deps: ['Post'] };

  async function put(body: string, t: number): Promise<void> {
    const { generations } = await lookupPage(store, tracker, at, 1024, bodies);
    const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22);
    const entry = encodeEntry(
      { ...meta({ t, l: 0 }), b: digest, g: generations },
      Buffer.from(body),
    );
    await store.set(at.key, entry, 0);
  }

  it('reads a page whole once, then only its header while it is unchanged', async () => {
    await put('first', 1);
    const first = await lookupPage(store, tracker, at, 1024, bodies);
    expect(first.page?.body.toString()).toBe('first');
    const ranges = store.ranges;
    const again = await lookupPage(store, tracker, at, 1024, bodies);
    expect(again.page?.body).toBe(bodies.get(at.key)!.page.body);
    expect(store.ranges).toBe(ranges + 1);
  });

  it('never reuses a body the store no longer holds: replaced, removed or invalidated', async () => {
    await put('first', 1);
    await lookupPage(store, tracker, at, 1024, bodies);
    await put('second', 2);
    expect((await lookupPage(store, tracker, at, 1024, bodies)).page?.body.toString()).toBe(
      'second',
    );
    await store.delete([at.key]);
    expect((await lookupPage(store, tracker, at, 1024, bodies)).page).toBeUndefined();
    await put('third', 3);
    await lookupPage(store, tracker, at, 1024, bodies);
    await tracker.invalidate(['Post']);
    await store.set(at.key, (await store.get(at.key))!, 0); // the entry itself is back, outdated
    expect((await lookupPage(store, tracker, at, 1024, bodies)).page).toBeUndefined();
  });

  it('keeps no more bytes than it is given', () => {
    const small = new LocalBodies(10_000);
    for (let i = 0; i < 100; i++) {
      small.set(`k${i}`, Buffer.alloc(10), { meta: meta(), body: Buffer.alloc(1_000) });
    }
    expect(small.size).toBeLessThanOrEqual(10_000);
    expect(small.get('k99')).toBeDefined();
    expect(small.get('k0')).toBeUndefined();
  });
});

describe('lookupPage while the store epoch is unknown', () => {
  it('never rejects: a miss it cannot take tokens for is the store being down', async () => {
    /** A store that reconnected and does not know its epoch yet. */
    class Reconnecting extends MemoryStore {
      epoch(): string | undefined {
        return undefined;
      }
    }
    const store = new Reconnecting();
    const tracker = new DependencyTracker(store, 'ns:3');
    await expect(lookupPage(store, tracker, { key: 'k', deps: ['Post'] }, 1024)).resolves.toEqual(
      {},
    );
  });
});

describe('lookupPageNow', () => {
  /** A real memory store that answers from memory with arrays handed in by the test. */
  class AnsweringStore extends MemoryStore {
    answer: readonly (Buffer | undefined)[] = [];
    override getManyNow(): readonly (Buffer | undefined)[] {
      return this.answer;
    }
  }

  it('judges the same frozen replies once, and replies with another token anew', () => {
    const store = new AnsweringStore();
    const tracker = new DependencyTracker(store, 'ns:1');
    const location = { key: 'k', deps: Object.freeze(['Post']) as string[] };
    const page = encodeEntry(meta({ d: ['Post'], g: ['t1'] }), Buffer.from('body'));
    store.answer = Object.freeze([page, Buffer.from('t1')]);
    expect(lookupPageNow(store, tracker, location, 1024)?.page?.body.toString()).toBe('body');
    expect(lookupPageNow(store, tracker, location, 1024)?.page?.body.toString()).toBe('body');
    // The same page bytes, a replaced token: another array, judged again.
    store.answer = Object.freeze([page, Buffer.from('t2')]);
    expect(lookupPageNow(store, tracker, location, 1024)).toEqual({ generations: ['t2'] });
  });
});
