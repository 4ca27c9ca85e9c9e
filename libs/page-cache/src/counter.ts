/**
 * Counters: integers stored as plain decimal text (no entry header), so that Redis `INCRBY` works
 * on them and any other client can read and write them (`SET views 42`, `INCR views`).
 *
 * Redis counts in signed 64 bits; a JavaScript number is exact only within
 * ±`Number.MAX_SAFE_INTEGER` (2^53 - 1). The stores therefore refuse an increment whose result
 * would leave that range, atomically and without changing the stored value, rather than return a
 * rounded number; and a value written by another client beyond it reads back as a `bigint`.
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
