import { cacheErrorCode } from './errors.js';
import type { CacheStore } from './stores/cache-store.interface.js';

/**
 * Counters: integers stored as plain decimal text (no entry header), so that Redis `INCRBY` works
 * on them and any other client can read and write them (`SET views 42`, `INCR views`). Within
 * ±`Number.MAX_SAFE_INTEGER` only, where a JavaScript number is exact (see `CacheStore.incrBy`).
 */

/** Plain decimal integers of up to 19 digits: what Redis counters hold (and a little more). */
const PLAIN_INTEGER = /^-?\d{1,19}$/;
/** Longest plain integer: a sign and 19 digits. */
const PLAIN_INTEGER_MAX_BYTES = 20;

/**
 * The integer a raw stored value holds when it is plain decimal text, as `incr` and other
 * clients write counters: a `number` within ±`Number.MAX_SAFE_INTEGER`, a `bigint` beyond, so it
 * is never rounded. `undefined` when the bytes are not a plain integer.
 */
export function plainIntegerOf(raw: Buffer): number | bigint | undefined {
  if (raw.length === 0 || raw.length > PLAIN_INTEGER_MAX_BYTES) return undefined;
  // latin1 maps each byte to one character, so non-ASCII bytes can never pass the pattern.
  const text = raw.toString('latin1');
  if (!PLAIN_INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

/**
 * Adds `delta` (a safe integer, checked) to the counter at wire key `full` (`key` names it in
 * errors) atomically, giving it `ttlMs` when this call creates it.
 * @throws RangeError naming the key when the result would leave ±`Number.MAX_SAFE_INTEGER`.
 * @throws TypeError when the stored value is not an integer, or `delta` is not a safe integer.
 */
export async function addToCounter(
  store: CacheStore,
  full: string,
  key: string,
  delta: number,
  ttlMs: number,
): Promise<number> {
  if (!Number.isSafeInteger(delta)) {
    throw new TypeError(`Invalid delta: ${String(delta)}. Expected a safe integer.`);
  }
  let result: number;
  try {
    result = await store.incrBy(full, delta, ttlMs);
  } catch (error) {
    if (error instanceof RangeError) throw counterRangeError(key, delta, error);
    if (cacheErrorCode(error) === 'E_NOT_AN_INTEGER') {
      // Redis says the same of an integer beyond 64 bits: that one is a matter of range.
      const raw = await store.get(full).catch(() => undefined);
      if (raw !== undefined && typeof plainIntegerOf(raw) === 'bigint') {
        throw counterRangeError(key, delta, error as Error);
      }
      throw new TypeError(`Cannot increment ${JSON.stringify(key)}: its value is not an integer.`);
    }
    throw error;
  }
  // A store of your own may not refuse it itself (the built-in stores do, atomically).
  if (!Number.isSafeInteger(result)) throw counterRangeError(key, delta);
  return result;
}

function counterRangeError(key: string, delta: number, cause?: Error): RangeError {
  const result = (cause as { result?: unknown } | undefined)?.result;
  const outcome = typeof result === 'string' ? `would become ${result}, ` : 'would be ';
  return new RangeError(
    `Cannot add ${delta} to counter ${JSON.stringify(key)}: it ${outcome}outside ` +
      `±Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}), beyond which numbers are not ` +
      'exact. The stored value is unchanged.',
    { cause },
  );
}
