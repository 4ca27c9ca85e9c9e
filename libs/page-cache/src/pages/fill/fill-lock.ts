import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fillLockKey } from '../../keys.js';
import type { CacheStore } from '../../stores/cache-store.interface.js';
import type { PageLocation } from '../key/page-key.js';
import type { StoredPage } from '../lookup.js';

/** Settings of `pages.fillLock`, resolved. */
export interface FillLockSettings {
  ttlMs: number;
  waitMs: number;
}

/** Gives the lock back (only if this owner still holds it). */
export type ReleaseLock = () => Promise<unknown>;

/**
 * The cross-process fill lock (SET NX PX with an owner token): the first process to miss a page
 * (or a `@Cached` call's value) renders it, the others wait a bounded time for its entry. `false`
 * settings turn it off.
 */
export class FillLock {
  constructor(
    private readonly store: CacheStore,
    private readonly namespace: string,
    private readonly settings: FillLockSettings | false,
  ) {}

  /**
   * Takes the lock, or waits (bounded) for the process holding it to store the page; `lookup`
   * reads the entry (it returns a page only while it is fresh). After taking the lock the entry is
   * read once more: the holder before us may have stored it and released the lock since.
   * @returns the lock's release, or the page another process stored, or neither (render anyway).
   */
  async acquire<T = StoredPage>(
    location: Pick<PageLocation, 'key'>,
    lookup: () => Promise<T | undefined>,
  ): Promise<{ release?: ReleaseLock; page?: T }> {
    const settings = this.settings;
    if (!settings) return {};
    const { key, token, release } = this.owner(location);
    const deadline = Date.now() + settings.waitMs;
    let pause = 10;
    for (;;) {
      try {
        if (await this.store.set(key, token, settings.ttlMs, { onlyIfAbsent: true })) {
          const page = await lookup();
          if (page !== undefined) {
            void release();
            return { page };
          }
          return { release };
        }
      } catch {
        return {};
      }
      if (Date.now() >= deadline) return {};
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, 50);
      const page = await lookup();
      if (page !== undefined) return { page };
    }
  }

  /** Takes the lock without waiting; its release, or nothing if another owner holds it. */
  async tryAcquire(location: PageLocation): Promise<ReleaseLock | undefined> {
    const settings = this.settings;
    if (!settings) return () => Promise.resolve();
    const { key, token, release } = this.owner(location);
    try {
      return (await this.store.set(key, token, settings.ttlMs, { onlyIfAbsent: true }))
        ? release
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** How long a request waits for another render of its own process. */
  get waitMs(): number {
    return this.settings ? this.settings.waitMs : DEFAULT_FILL_WAIT_MS;
  }

  private owner(location: Pick<PageLocation, 'key'>): {
    key: string;
    token: Buffer;
    release: ReleaseLock;
  } {
    const key = fillLockKey(this.namespace, location.key);
    const token = Buffer.from(randomBytes(12).toString('base64url'));
    return { key, token, release: () => this.store.deleteIfEquals(key, token).catch(() => false) };
  }
}

/** How long a request waits for another render of its process when the fill lock is off. */
const DEFAULT_FILL_WAIT_MS = 1000;
