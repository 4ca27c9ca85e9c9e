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
