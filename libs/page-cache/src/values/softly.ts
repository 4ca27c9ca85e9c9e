/**
 * Runs a store call whose failure must not reach the caller, and answers `fallback` instead. A
 * `TypeError` (bad input: a key, a TTL, a value that cannot be serialized) still throws. Outages
 * are logged once by the store's circuit breaker, not here on every call.
 */
export async function softly<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof TypeError) throw error;
    return fallback;
  }
}
