import { decodeEntry, headerLength, type PageMeta } from '../codec.js';
import { DependencyTracker } from '../dependency-tracker.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import type { PageLocation } from './key/page-key.js';
import type { LocalBodies } from './local-bodies.js';
import type { StoredPage } from './stored-page.js';

/**
 * What one lookup found: a page whose dependencies are all current, or — to store a new one with
 * — the current generation tokens of its dependencies; neither when the store failed.
 */
export interface Lookup {
  page?: StoredPage;
  /** Absent when the store failed: the page is then neither served nor stored. */
  generations?: string[];
}

/**
 * Reads the page and the current tokens of its dependencies in one store call (one `MGET` on a
 * standalone Redis); with `bodies`, a page read before is checked by its header (`GETRANGE`) and
 * its body reused if unchanged. On a miss every token is made to exist before the handler reads
 * its data, so the entry records tokens a later invalidation will replace. Never rejects: a
 * failing store (or one whose epoch is not known yet) is `{}`.
 */
export async function lookupPage(
  store: CacheStore,
  tracker: DependencyTracker,
  location: PageLocation,
  maxEntrySize: number,
  bodies?: LocalBodies,
): Promise<Lookup> {
  try {
    const now = lookupPageNow(store, tracker, location, maxEntrySize);
    if (now !== undefined) return now;
    const tokenKeys = tracker.tokenKeys(location.deps, true);
    const known = bodies?.get(location.key);
    if (known !== undefined && store.getHead) {
      const [header, current] = await store.getHead(location.key, known.header.length, tokenKeys);
      if (header !== undefined && header.equals(known.header)) {
        return await found(tracker, location, known.page, current);
      }
      bodies!.delete(location.key);
      // Removed: a miss, with the tokens just read.
      if (header === undefined) return await found(tracker, location, undefined, current);
      // Replaced: read it whole, with its tokens again (an invalidation may have come between).
    }
    tokenKeys.unshift(location.key);
    const replies = await store.getMany(tokenKeys);
    const page = read(store, location, replies[0], maxEntrySize, bodies);
    return await found(tracker, location, page, replies.slice(1));
  } catch {
    return {};
  }
}

/**
 * The lookup answered now from process memory (see `CacheStore.getManyNow`): a current page, or
 * the tokens to store a new one with; `undefined` when the store cannot answer without I/O, or a
 * token is missing (it must be created). A hit held in memory is served with no promise.
 * @throws what the store or the tracker throws (an unknown epoch: no keys to write).
 */
export function lookupPageNow(
  store: CacheStore,
  tracker: DependencyTracker,
  location: PageLocation,
  maxEntrySize: number,
): Lookup | undefined {
  if (store.getManyNow === undefined) return undefined;
  const replies = store.getManyNow(tracker.lookupKeys(location.key, location.deps));
  if (replies === undefined) return undefined;
  const known = CURRENT.get(replies);
  if (known !== undefined) return { page: known };
  const page = read(store, location, replies[0], maxEntrySize, undefined);
  if (page !== undefined && DependencyTracker.isCurrent(page.meta.g, replies, 1)) {
    // The same replies again are the same bytes (the store answered them unchanged).
    if (Object.isFrozen(replies)) CURRENT.set(replies, page);
    return { page };
  }
  const generations: string[] = [];
  for (let i = 1; i < replies.length; i++) {
    const token = replies[i];
    if (token === undefined) return undefined;
    generations.push(token.toString('latin1'));
  }
  return { generations };
}

/**
 * Current pages by the replies they were found in: a store that answers the same keys with the
 * same frozen array while nothing it holds changed (near copies) has it judged once.
 */
const CURRENT = new WeakMap<readonly (Buffer | undefined)[], StoredPage>();

/** The page if its tokens are current; otherwise the tokens to store a new one with. */
async function found(
  tracker: DependencyTracker,
  location: PageLocation,
  page: StoredPage | undefined,
  current: (Buffer | undefined)[],
): Promise<Lookup> {
  if (page !== undefined && DependencyTracker.isCurrent(page.meta.g, current)) return { page };
  if (current.every(token => token !== undefined)) {
    return { generations: current.map(token => token!.toString('latin1')) };
  }
  return { generations: await tracker.generationsForWrite(location.deps) };
}

/**
 * Pages decoded from stored bytes, by the Buffer the store returned: a store that hands out the
 * Buffer it holds (the memory store, a near copy) returns the same one on every hit while the entry is
 * unchanged, so its page is decoded (and, if compressed, inflated) once, not per hit. A replaced
 * or removed entry is another Buffer, or none: nothing outlives the bytes it was read from.
 */
const DECODED = new WeakMap<Buffer, StoredPage>();

/** Decodes stored bytes into a page (kept in `bodies` for reuse); removes foreign bytes. */
function read(
  store: CacheStore,
  location: PageLocation,
  bytes: Buffer | undefined,
  maxEntrySize: number,
  bodies: LocalBodies | undefined,
): StoredPage | undefined {
  if (bytes === undefined) return undefined;
  const decoded = DECODED.get(bytes);
  if (decoded !== undefined) return decoded;
  const entry = decodeEntry(bytes, maxEntrySize);
  if (entry?.meta.k !== 'page') {
    // Foreign, corrupt or older-format bytes under our key: a miss, and removed.
    store.delete([location.key]).catch(() => undefined);
    return undefined;
  }
  const page: StoredPage = { meta: entry.meta, body: entry.payload };
  DECODED.set(bytes, page);
  // Only pages whose header names their body's digest can be recognised later.
  if (bodies !== undefined && entry.meta.b !== undefined) {
    const length = headerLength(bytes);
    if (length !== undefined) bodies.set(location.key, bytes.subarray(0, length), page);
  }
  return page;
}

/**
 * Whether a stored page is fresh, stale (past its TTL) or due an early refresh: XFetch (Vattani
 * et al. 2015), more likely as expiry nears and the longer the page takes to render.
 */
export function freshness(
  meta: PageMeta,
  beta: number,
  now = Date.now(),
  random = Math.random,
): 'fresh' | 'stale' | 'early' {
  if (meta.l === 0) return 'fresh';
  const expiresAt = meta.t + meta.l;
  if (now >= expiresAt) return 'stale';
  if (beta > 0 && now - meta.r * beta * Math.log(random()) >= expiresAt) return 'early';
  return 'fresh';
}
