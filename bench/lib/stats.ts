/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Rounds each value. */
export function roundAll(values: readonly number[], digits = 2): number[] {
  return values.map(value => round(value, digits));
}

/** `value` with `digits` decimals, thousands separated by a thin space. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  const [whole, fraction] = value.toFixed(digits).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction ? `${grouped}.${fraction}` : grouped;
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * A distribution-free confidence interval for the median of `values`: the order statistics
 * x(k) and x(n−k+1) with the largest k whose binomial tail keeps the coverage ≥ `confidence`.
 * With too few values for that coverage, the whole range (and the coverage it has).
 */
export function medianInterval(
  values: readonly number[],
  confidence = 0.95,
): { low: number; high: number; confidence: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { low: Number.NaN, high: Number.NaN, confidence: 0 };
  // tail(k) = P(Binomial(n, ½) < k): the chance that the median lies below x(k).
  const tail = (k: number): number => {
    let sum = 0;
    let term = 0.5 ** n;
    for (let i = 0; i < k; i++) {
      sum += term;
      term = (term * (n - i)) / (i + 1);
    }
    return sum;
  };
  let k = 1;
  while (k + 1 <= Math.ceil(n / 2) && 1 - 2 * tail(k + 1) >= confidence) k++;
  return { low: sorted[k - 1], high: sorted[n - k], confidence: 1 - 2 * tail(k) };
}
