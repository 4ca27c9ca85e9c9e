import { decodeEntry, type PageMeta } from '../codec.js';
import { DependencyTracker } from '../dependency-tracker.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import type { PageLocation } from './key/page-key.js';

/** A page read from the store. */
export interface StoredPage {
  meta: PageMeta;
  body: Buffer;
}

/**
 * What one lookup found: a page whose dependencies are all current, or — to store a new one with
 * — the current generation tokens of its dependencies; neither when the store failed.
 */
export interface Lookup {
  page?: StoredPage;
  /** Absent when the store failed: the page is then neither served nor stored. */
  generations?: string[];
}

/** Whether a stored page is fresh, past its TTL but within grace, or due an early refresh. */
export type Freshness = 'fresh' | 'stale' | 'early';

const NO_TOKENS: (Buffer | undefined)[] = [];

/**
 * Reads the page and the current tokens of its dependencies in one round trip (pages without
 * dependencies, the common case, cost exactly one store read). On a miss it also makes sure every
 * token exists before the handler reads its data, so the entry records tokens that any later
 * invalidation will replace. Never rejects: a failing store is `{}`.
 */
export async function lookupPage(
  store: CacheStore,
  tracker: DependencyTracker,
  location: PageLocation,
  maxEntrySize: number,
): Promise<Lookup> {
  try {
    const [bytes, current] =
      location.deps.length === 0
        ? [await store.get(location.key), NO_TOKENS]
        : await Promise.all([store.get(location.key), tracker.currentGenerations(location.deps)]);
    if (bytes !== undefined) {
      const entry = decodeEntry(bytes, maxEntrySize);
      if (entry?.meta.k === 'page') {
        if (DependencyTracker.isCurrent(entry.meta.g, current)) {
          return { page: { meta: entry.meta, body: entry.payload } };
        }
      } else {
        // Foreign, corrupt or older-format bytes under our key: a miss, and removed.
        store.delete([location.key]).catch(() => undefined);
      }
    }
    if (current.every(token => token !== undefined)) {
      return { generations: current.map(token => token!.toString('latin1')) };
    }
    return { generations: await tracker.generationsForWrite(location.deps) };
  } catch {
    return {};
  }
}

/**
 * Whether a stored page is fresh, stale (past its TTL, within grace) or due an early refresh:
 * XFetch (Vattani et al. 2015) refreshes early with a probability that rises as expiry nears and
 * with the time the page takes to render.
 */
export function freshness(
  meta: PageMeta,
  beta: number,
  now = Date.now(),
  random = Math.random,
): Freshness {
  if (meta.l === 0) return 'fresh';
  const expiresAt = meta.t + meta.l;
  if (now >= expiresAt) return 'stale';
  if (beta > 0 && now - meta.r * beta * Math.log(random()) >= expiresAt) return 'early';
  return 'fresh';
}
