import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from './backoff.js';
import type { CacheStore } from './stores/cache-store.interface.js';

/** Gives a lock back, only while this owner still holds it. @returns whether it was held. */
export type ReleaseLock = () => Promise<boolean>;

/** How long the pauses between attempts at a held lock are: from `min` ms, doubling up to `max`. */
export interface LockPauses {
  min: number;
  max: number;
}

/**
 * The lock shared by every process on one store: `SET NX PX` with a random owner token, released
 * by a compare-and-delete, so that a holder whose lock expired cannot release the next owner's.
 * One mechanism for `CacheService.lock` and the fill locks of pages and `@Cached` values.
 */
export class DistributedLock {
  constructor(private readonly store: CacheStore) {}

  /**
   * Takes `key` for `ttlMs`, trying again (with `pauses` between attempts) until `waitMs` have
   * passed; after each pause `between` may end the wait with what it found (the entry another
   * owner stored, say). Store errors reject.
   * @returns the lock's release, or what `between` found, or neither (still held by another).
   */
  async take<T = never>(
    key: string,
    ttlMs: number,
    waitMs: number,
    pauses: LockPauses,
    between?: () => Promise<T | undefined>,
  ): Promise<{ release?: ReleaseLock; found?: T }> {
    const token = Buffer.from(randomBytes(12).toString('base64url'));
    const deadline = Date.now() + waitMs;
    const backoff = new Backoff(pauses.min, pauses.max);
    for (;;) {
      if (await this.store.set(key, token, ttlMs, { onlyIfAbsent: true })) {
        return { release: () => this.store.deleteIfEquals(key, token) };
      }
      const left = deadline - Date.now();
      if (left <= 0) return {};
      await sleep(Math.min(backoff.delayMs, left));
      backoff.failed();
      if (between) {
        const found = await between();
        if (found !== undefined) return { found };
      }
    }
  }
}
