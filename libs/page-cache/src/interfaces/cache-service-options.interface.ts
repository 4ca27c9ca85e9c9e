import type { Ttl } from '../ttl.js';
import type { ModelDependency } from './model-ref.interface.js';

/** Options of `CacheService.set` and `CacheService.getOrSet`. */
export interface CacheSetOptions {
  /** Lifetime (ms or `'5m'`…; `0` = never). Default: the module's `ttl`. */
  ttl?: Ttl;
  /**
   * Models the value is built from: saving one of them removes the value. Their tokens are read
   * inside `set()`, after you read your data: a save in between is missed. Take them before you
   * read with `CacheService.track` and pass `tracked` instead, or use `getOrSet`.
   */
  models?: readonly ModelDependency[];
  /** Models tracked before the data was read (`CacheService.track`): race-free. */
  tracked?: TrackedModels;
}

/** The generation tokens of some models, read before the data of a value was read. */
export interface TrackedModels {
  /** The dependencies the value will be indexed under (`Post`, `Post/42`…). */
  readonly deps: readonly string[];
  /** Their tokens; undefined when the store could not be read: the value is then not stored. */
  readonly generations?: readonly string[];
}

/** Options of `CacheService.incr` and `CacheService.decr`. */
export interface CacheIncrOptions {
  /** Lifetime given to the counter when this call creates it. Default: the module's `ttl`. */
  ttl?: Ttl;
}

/** Options of `CacheService.lock`. */
export interface CacheLockOptions {
  /** How long the lock is held at most if never released (ms or `'10s'`…). Default 10 s. */
  ttl?: Ttl;
  /** How long to wait for a held lock before giving up (ms or `'1s'`…). Default 0: try once. */
  wait?: Ttl;
  /** @deprecated Use `wait`, which also takes a duration string. */
  waitMs?: number;
}

/** A held lock. */
export interface CacheLock {
  /** The lock's name. */
  readonly name: string;
  /**
   * Releases the lock if this holder still owns it.
   * @returns false when it had expired (and may have been taken by someone else).
   */
  release(): Promise<boolean>;
}
