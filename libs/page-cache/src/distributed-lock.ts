import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from './backoff.js';
import { CacheLockTimeoutError } from './errors.js';
import type { CacheLock, CacheLockOptions } from './interfaces/cache-service-options.interface.js';
import { parseTtl } from './ttl.js';
import type { CacheStore } from './stores/cache-store.interface.js';

/** Gives a lock back, only while this owner still holds it. @returns whether it was held. */
export type ReleaseLock = () => Promise<boolean>;

/** Pauses between attempts at a held `CacheService.lock()` (ms). */
const NAMED_LOCK_PAUSES = { min: 5, max: 100 };

/**
 * The lock shared by every process on one store: `SET NX PX` with a random owner token, released
 * by a compare-and-delete, so that a holder whose lock expired cannot release the next owner's.
 * One mechanism for `CacheService.lock` and the fill locks of pages and `@Cached` values.
 */
export class DistributedLock {
  constructor(private readonly store: CacheStore) {}

  /**
   * Takes `key` for `ttlMs`, trying again (after pauses from `min` ms, doubling up to `max`) until
   * `waitMs` have passed; after each pause `between` may end the wait with what it found (the entry
   * another owner stored, say). Store errors reject.
   * @returns the lock's release, or what `between` found, or neither (still held by another); and
   *   whether another owner held it on the first attempt (`waited`).
   */
  async take<T = never>(
    key: string,
    ttlMs: number,
    waitMs: number,
    pauses: { min: number; max: number },
    between?: () => Promise<T | undefined>,
  ): Promise<{ release?: ReleaseLock; found?: T; waited: boolean }> {
    const token = Buffer.from(randomBytes(12).toString('base64url'));
    const deadline = Date.now() + waitMs;
    const backoff = new Backoff(pauses.min, pauses.max);
    for (let waited = false; ; waited = true) {
      // A lock is never read with get: no copy of it is held anywhere, nothing to announce.
      if (await this.store.set(key, token, ttlMs, { onlyIfAbsent: true, unannounced: true })) {
        return {
          release: () => this.store.deleteIfEquals(key, token, { unannounced: true }),
          waited,
        };
      }
      const left = deadline - Date.now();
      if (left <= 0) return { waited: true };
      await sleep(Math.min(backoff.delayMs, left));
      backoff.failed();
      if (between) {
        const found = await between();
        if (found !== undefined) return { found, waited: true };
      }
    }
  }

  /**
   * `CacheService.lock`: takes the lock `name` (wire key `key`) with the user's options, checked.
   * @throws TypeError for a bad ttl or waitMs; CacheLockTimeoutError when it stays held too long.
   */
  async named(key: string, name: string, options: CacheLockOptions): Promise<CacheLock> {
    const ttlMs = parseTtl(options.ttl ?? '10s', 'lock ttl');
    if (ttlMs === 0) {
      throw new TypeError(
        'Invalid lock ttl: 0. A lock must expire, or a crashed holder would keep it forever.',
      );
    }
    const waitMs = parseTtl(options.wait ?? options.waitMs ?? 0, 'lock wait');
    const { release } = await this.take(key, ttlMs, waitMs, NAMED_LOCK_PAUSES);
    if (!release) throw new CacheLockTimeoutError(name, waitMs);
    return { name, release };
  }
}
