/**
 * A lifetime: a number of milliseconds, or a duration string such as `'30s'`, `'5m'`, `'1h'`,
 * `'1d'` (also `'250ms'` and `'1w'`). `0` means the entry never expires.
 */
export type Ttl = number | `${number}${DurationUnit}`;

/** Units accepted in a {@link Ttl} string. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/**
 * Turns a {@link Ttl} into whole milliseconds (`0` = never expires).
 * @throws TypeError naming the value when it is negative, not finite, or not a duration.
 */
export function parseTtl(ttl: unknown, name = 'ttl'): number {
  // Sub-millisecond lifetimes would round to 0, which means "forever": round up instead.
  if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0) return Math.ceil(ttl);
  const match = typeof ttl === 'string' ? DURATION.exec(ttl) : null;
  if (match) return Math.ceil(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
  const shown = typeof ttl === 'number' ? String(ttl) : (JSON.stringify(ttl) ?? String(ttl));
  throw new TypeError(
    `Invalid ${name}: ${shown}. Expected milliseconds >= 0 (0 = never expires) or a duration such as '30s', '5m', '1h', '1d'.`,
  );
}
