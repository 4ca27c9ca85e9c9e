import { DistributedLock, type ReleaseLock } from '../../distributed-lock.js';
import { fillLockKey } from '../../keys.js';
import type { CacheStore } from '../../stores/cache-store.interface.js';
import type { PageLocation } from '../key/page-key.js';
import type { StoredPage } from '../stored-page.js';

export type { ReleaseLock } from '../../distributed-lock.js';

/** Settings of `pages.fillLock`, resolved. */
export interface FillLockSettings {
  ttlMs: number;
  waitMs: number;
}

/** Pauses between looks at the entry while another process fills it (ms). */
const PAUSES = { min: 10, max: 50 };

/**
 * The cross-process fill lock: the first process to miss a page (or a `@Cached` call's value)
 * renders it, the others wait a bounded time for its entry. A failing store takes no lock.
 */
export class FillLock {
  private readonly lock: DistributedLock;

  constructor(
    store: CacheStore,
    private readonly namespace: string,
    private readonly settings: FillLockSettings | false,
  ) {
    this.lock = new DistributedLock(store);
  }

  /**
   * Takes the lock, or waits (bounded) for its holder to store the entry `lookup` reads (fresh
   * only). With the lock taken, the entry is read once more: the holder before us may have stored
   * it and released the lock since.
   * @returns the lock's release, or the page another process stored, or neither (render anyway).
   */
  async acquire<T = StoredPage>(
    location: Pick<PageLocation, 'key'>,
    lookup: () => Promise<T | undefined>,
  ): Promise<{ release?: ReleaseLock; page?: T }> {
    const settings = this.settings;
    if (!settings) return {};
    const key = fillLockKey(this.namespace, location.key);
    let release: ReleaseLock | undefined;
    try {
      const taken = await this.lock.take(key, settings.ttlMs, settings.waitMs, PAUSES, lookup);
      if (taken.found !== undefined) return { page: taken.found };
      if (!taken.release) return {};
      release = quietly(taken.release);
      const page = await lookup();
      if (page === undefined) return { release };
      void release();
      return { page };
    } catch {
      // Render without the lock; one taken is given back rather than left to make others wait.
      void release?.();
      return {};
    }
  }

  /** Takes the lock without waiting; its release, or nothing if another owner holds it. */
  async tryAcquire(location: PageLocation): Promise<ReleaseLock | undefined> {
    const settings = this.settings;
    if (!settings) return () => Promise.resolve(true);
    const key = fillLockKey(this.namespace, location.key);
    try {
      const taken = await this.lock.take(key, settings.ttlMs, 0, PAUSES);
      return taken.release && quietly(taken.release);
    } catch {
      return undefined;
    }
  }

  /** How long a request waits for another render of its own process. */
  get waitMs(): number {
    return this.settings ? this.settings.waitMs : DEFAULT_FILL_WAIT_MS;
  }
}

/** A release whose failure is no one's concern: the lock expires on its own. */
function quietly(release: ReleaseLock): ReleaseLock {
  return () => release().catch(() => false);
}

/** How long a request waits for another render of its process when the fill lock is off. */
const DEFAULT_FILL_WAIT_MS = 1000;
