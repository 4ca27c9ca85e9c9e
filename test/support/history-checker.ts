/**
 * A checker of read/write histories for the no-stale guarantee of near copies: no read returns a
 * version older than the last invalidation that resolved before the read began.
 *
 * Every process of a history stamps its events with {@link historyClock}: one clock for the whole
 * machine, so times from different processes compare.
 */

/** One read: who read, when it was sent and answered, and the version it returned. */
export interface HistoryRead {
  process: string;
  /** Stamped before the read is sent. */
  start: number;
  /** Stamped after the answer arrived. */
  end: number;
  version: number;
}

/** One write: the version it made current, and when its invalidation resolved. */
export interface HistoryWrite {
  version: number;
  /** Stamped after the `invalidate()` of that version resolved (never for one that rejected). */
  resolvedAt: number;
}

/** A read that returned an older version than a write that had resolved before it began. */
export interface StaleRead {
  read: HistoryRead;
  /** The newest version resolved before the read began. */
  expected: number;
  /** When that version's invalidation resolved. */
  resolvedAt: number;
}

/**
 * Milliseconds on the machine's monotonic clock (`CLOCK_MONOTONIC` on Linux): shared by every
 * process on the machine, unlike `performance.now()` (each process's own origin) or `Date.now()`
 * (which steps when the wall clock is set).
 */
export function historyClock(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * The stale reads of a history. A read is stale when some write resolved strictly before the read
 * started and made a version newer than the one the read returned. Reads that overlap a write
 * (started before it resolved) may return either version: they are never stale.
 */
export function staleReads(
  reads: readonly HistoryRead[],
  writes: readonly HistoryWrite[],
): StaleRead[] {
  // Writes by resolution time, each with the newest version resolved up to it (a write of an older
  // version resolving late does not make its version the one to expect).
  const resolved = [...writes].sort((a, b) => a.resolvedAt - b.resolvedAt);
  const newest: { version: number; resolvedAt: number }[] = [];
  for (const write of resolved) {
    const previous = newest[newest.length - 1];
    newest.push(
      previous && previous.version >= write.version
        ? { version: previous.version, resolvedAt: previous.resolvedAt }
        : { version: write.version, resolvedAt: write.resolvedAt },
    );
  }
  const stale: StaleRead[] = [];
  for (const read of reads) {
    const last = lastBefore(resolved, read.start);
    if (last < 0) continue;
    const expected = newest[last]!;
    if (read.version < expected.version) {
      stale.push({ read, expected: expected.version, resolvedAt: expected.resolvedAt });
    }
  }
  return stale;
}

/** One line per stale read (the first `limit`), for an assertion message. */
export function describeStaleReads(stale: readonly StaleRead[], limit = 10): string {
  const lines = stale
    .slice(0, limit)
    .map(
      ({ read, expected, resolvedAt }) =>
        `${read.process} read v${read.version} at ${read.start.toFixed(1)}–${read.end.toFixed(1)} ms, ` +
        `${(read.start - resolvedAt).toFixed(1)} ms after v${expected} resolved`,
    );
  if (stale.length > limit) lines.push(`… and ${stale.length - limit} more`);
  return lines.join('\n');
}

/** Index of the last write that resolved strictly before `time`, or -1. */
function lastBefore(resolved: readonly HistoryWrite[], time: number): number {
  let low = 0;
  let high = resolved.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (resolved[mid]!.resolvedAt < time) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}
