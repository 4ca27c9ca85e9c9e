/**
 * Every error the cache throws of its own, each with a stable `code`: recognise them by
 * `cacheErrorCode(error)` (or `instanceof`), never by their message, which may change.
 */

/**
 * The codes, one per kind of failure, each with whether the store answered it (it was reachable:
 * such a failure says nothing of its health), was not reached, or is not involved (a mistake in
 * the app's options, thrown at startup).
 */
const CODES = {
  /** A store call took longer than `commandTimeout`. */
  E_STORE_TIMEOUT: 'unreached',
  /** The store's circuit breaker is open: the call was not sent. */
  E_STORE_UNAVAILABLE: 'unreached',
  /** The store reconnected and it is not known yet whether it is the server it was. */
  E_STORE_EPOCH_UNKNOWN: 'unreached',
  /** A read's connection was re-established while it was in flight. */
  E_STORE_RECONNECTED: 'answered',
  /** The store holds a value that is not an integer where one was counted on. */
  E_NOT_AN_INTEGER: 'answered',
  /** The store holds another kind of value under the key (a set where a string was expected). */
  E_WRONG_TYPE: 'answered',
  /** A counter's result would be outside ±`Number.MAX_SAFE_INTEGER`. */
  E_COUNTER_RANGE: 'answered',
  /** `CacheService.lock()` stayed held by another owner for longer than its `wait`. */
  E_LOCK_TIMEOUT: 'unreached',
  /** An options object (module options, a decorator's) has a name it does not take. */
  E_UNKNOWN_OPTION: 'startup',
} as const;

/** The codes, one per kind of failure (see `cacheErrorCode`). */
export type CacheErrorCode = keyof typeof CODES;

/** The code of an error the cache threw, or `undefined` for any other error. */
export function cacheErrorCode(error: unknown): CacheErrorCode | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(CODES, code)
    ? (code as CacheErrorCode)
    : undefined;
}

/** Whether the store answered with `error` (as opposed to not being reached). */
export function isAnsweredByStore(error: unknown): boolean {
  const code = cacheErrorCode(error);
  return code !== undefined && CODES[code] === 'answered';
}

/** Thrown when a store call takes longer than the timeout. */
export class StoreTimeoutError extends Error {
  readonly code = 'E_STORE_TIMEOUT';
  override readonly name = 'StoreTimeoutError';

  constructor(ms: number) {
    super(`Cache store call timed out after ${ms} ms`);
  }
}

/** Thrown at once, without calling the store, while the breaker is open. */
export class StoreUnavailableError extends Error {
  readonly code = 'E_STORE_UNAVAILABLE';
  override readonly name = 'StoreUnavailableError';

  constructor(cause?: unknown) {
    super('Cache store unavailable (circuit breaker open)', { cause });
  }
}

/**
 * Thrown instead of reading or writing generation tokens while the store's epoch is not known:
 * the connection was re-established and it is not yet known whether the server is the one the
 * tokens were written to (see `CacheStore.epoch`). Callers treat it as the store being down.
 */
export class StoreEpochUnknownError extends Error {
  readonly code = 'E_STORE_EPOCH_UNKNOWN';
  override readonly name = 'StoreEpochUnknownError';

  constructor() {
    super('Cache store reconnected: its epoch is not known yet');
  }
}

/**
 * Thrown for a read whose reply may come from another server than the one it was sent to: the
 * connection was lost and re-established while it was in flight (a client resending it would
 * read a restarted server's older data).
 */
export class StoreReconnectedError extends Error {
  readonly code = 'E_STORE_RECONNECTED';
  override readonly name = 'StoreReconnectedError';

  constructor() {
    super('Cache store connection was re-established while the read was in flight');
  }
}

/** Thrown by a store when the value under a key is not what an operation needs. */
export class StoreValueError extends Error {
  override readonly name = 'StoreValueError';

  constructor(
    readonly code: 'E_NOT_AN_INTEGER' | 'E_WRONG_TYPE',
    readonly key: string,
  ) {
    super(
      code === 'E_NOT_AN_INTEGER'
        ? `The value of ${JSON.stringify(key)} (or the increment) is not a 64-bit integer.`
        : `${JSON.stringify(key)} holds another kind of value than the operation needs.`,
    );
  }
}

/**
 * Thrown by a store's `incrBy` when the result would be outside ±`Number.MAX_SAFE_INTEGER`; the
 * stored value is left as it was.
 */
export class CounterRangeError extends RangeError {
  readonly code = 'E_COUNTER_RANGE';
  override readonly name = 'CounterRangeError';

  /**
   * @param key the store key.
   * @param result the exact result that was refused, in decimal, when known (it is not when it
   *   would leave the 64-bit range Redis counts in).
   */
  constructor(
    readonly key: string,
    readonly result?: string,
  ) {
    super(
      `Counter ${JSON.stringify(key)} would become ${result ?? 'larger than 64 bits'}, outside ` +
        `±Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}); it is left unchanged.`,
    );
  }
}

/** Thrown by `CacheService.lock` when the lock stays held for longer than its `wait`. */
export class CacheLockTimeoutError extends Error {
  readonly code = 'E_LOCK_TIMEOUT';
  override readonly name = 'CacheLockTimeoutError';

  constructor(
    readonly lockName: string,
    readonly waitMs: number,
  ) {
    super(`Could not acquire cache lock ${JSON.stringify(lockName)} within ${waitMs} ms.`);
  }
}

/**
 * Thrown at startup (or when a decorator is applied) for option names the options object does not
 * take, such as a misspelt one, which would otherwise be ignored.
 */
export class UnknownOptionError extends TypeError {
  readonly code = 'E_UNKNOWN_OPTION';
  override readonly name = 'UnknownOptionError';

  /**
   * @param options the unknown names, each with its path (`pages.ttll`).
   * @param message what is wrong, with the closest known names.
   */
  constructor(
    readonly options: readonly string[],
    message: string,
  ) {
    super(message);
  }
}
