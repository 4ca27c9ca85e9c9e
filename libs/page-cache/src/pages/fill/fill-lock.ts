import { DistributedLock, type ReleaseLock } from '../../distributed-lock.js';
import { fillLockKey } from '../../keys.js';
import type { CacheStore } from '../../stores/cache-store.interface.js';
import type { PageLocation } from '../key/page-key.js';
import type { StoredPage } from '../stored-page.js';
import { ATTRIBUTES } from '../../telemetry/telemetry-names.js';
import type { TraceAttributes } from '../../telemetry/tracing.interface.js';

export type { ReleaseLock } from '../../distributed-lock.js';

/** Settings of `pages.fillLock`, resolved. */
export interface FillLockSettings {
  ttlMs: number;
  waitMs: number;
}

/**
 * What a fill lock acquisition came to: `acquired` (render, then release), `filled` (another
 * owner stored the entry: use it), `timed_out` (still held after the wait: render anyway),
 * `unavailable` (the store failed: render without the lock) or `off`.
 */
export type FillLockOutcome = 'acquired' | 'filled' | 'timed_out' | 'unavailable' | 'off';

/** What {@link FillLock.acquire} returns. */
export interface FillLockResult<T> {
  release?: ReleaseLock;
  /** The entry another owner stored meanwhile. */
  page?: T;
  outcome: FillLockOutcome;
  /** Another owner held the lock when it was first asked for: this caller waited. */
  waited: boolean;
}

/** The attributes of a `page_cache.lock_wait` span. */
export function lockWaitAttributes(
  scope: 'process' | 'store',
  outcome: FillLockOutcome,
  waited: boolean,
): TraceAttributes {
  return {
    [ATTRIBUTES.lockScope]: scope,
    [ATTRIBUTES.lockOutcome]: outcome,
    [ATTRIBUTES.lockWaited]: waited,
  };
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
   * @returns the lock's release, or the page another process stored, or neither (render anyway);
   *   what happened, and whether another owner held the lock (so this caller waited).
   */
  async acquire<T = StoredPage>(
    location: Pick<PageLocation, 'key'>,
    lookup: () => Promise<T | undefined>,
  ): Promise<FillLockResult<T>> {
    const settings = this.settings;
    if (!settings) return { outcome: 'off', waited: false };
    const key = fillLockKey(this.namespace, location.key);
    let release: ReleaseLock | undefined;
    let waited = false;
    try {
      const taken = await this.lock.take(key, settings.ttlMs, settings.waitMs, PAUSES, lookup);
      waited = taken.waited;
      if (taken.found !== undefined) return { page: taken.found, outcome: 'filled', waited };
      if (!taken.release) return { outcome: 'timed_out', waited };
      release = quietly(taken.release);
      const page = await lookup();
      if (page === undefined) return { release, outcome: 'acquired', waited };
      void release();
      return { page, outcome: 'filled', waited };
    } catch {
      // Render without the lock; one taken is given back rather than left to make others wait.
      void release?.();
      return { outcome: 'unavailable', waited };
    }
  }

  /** Whether the lock is on (`pages.fillLock` is not false). */
  get enabled(): boolean {
    return this.settings !== false;
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
