/** Thrown when a store call takes longer than the timeout. */
export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`Cache store call timed out after ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** Thrown at once, without calling the store, while the breaker is open. */
export class StoreUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('Cache store unavailable (circuit breaker open)', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Thrown instead of reading or writing generation tokens while the store's epoch is not known:
 * the connection was re-established and it is not yet known whether the server is the one the
 * tokens were written to (see `CacheStore.epoch`). Callers treat it as the store being down.
 */
export class StoreEpochUnknownError extends Error {
  constructor() {
    super('Cache store reconnected: its epoch is not known yet');
    this.name = 'StoreEpochUnknownError';
  }
}

/**
 * Thrown for a read whose reply may come from another server than the one it was sent to: the
 * connection was lost and re-established while it was in flight (a client resending it would
 * read a restarted server's older data).
 */
export class StoreReconnectedError extends Error {
  constructor() {
    super('Cache store connection was re-established while the read was in flight');
    this.name = 'StoreReconnectedError';
  }
}
