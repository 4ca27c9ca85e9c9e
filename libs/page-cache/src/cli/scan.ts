import { namespacedGlob } from '../keys.js';
import type { CliContext } from './command.js';
import { formatCount, formatDuration } from './format.js';

/** Keys Redis is asked to visit per SCAN call. */
const SCAN_COUNT = 1000;

/** A progress line every this many keys visited. */
const PROGRESS_EVERY = 10_000;

/** Distinct keys remembered to drop SCAN's repeats (see {@link Distinct}). */
const DEDUP_LIMIT = 1_000_000;

/**
 * Calls `visit` with every key of the namespace (without the namespace), scanning every server
 * with SCAN (never KEYS), with progress on stderr on a terminal or with `--progress`.
 * @returns whether each key was visited once (see {@link Distinct}).
 */
export async function forEachKey(
  ctx: CliContext,
  label: string,
  visit: (key: string) => void,
): Promise<boolean> {
  const servers = ctx.conn.servers();
  let progress: Progress | undefined;
  if (ctx.line.progress || ctx.io.stderrIsTTY) {
    const total = (await Promise.all(servers.map(s => s.dbsize()))).reduce((a, b) => a + b, 0);
    progress = new Progress(text => ctx.io.err(text), label, total, ctx.io.stderrIsTTY);
  }
  const distinct = new Distinct();
  const pattern = namespacedGlob(ctx.namespace, '*');
  const skip = ctx.namespace.length + 1;
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      progress?.advance(SCAN_COUNT, keys.length);
      for (const key of keys) if (distinct.add(key)) visit(key.slice(skip));
    } while (cursor !== '0');
  }
  progress?.done();
  return distinct.exact;
}

/**
 * Drops the keys SCAN returns twice (it may while Redis resizes its table), up to a million
 * distinct keys; beyond that, counts are reported as approximate rather than using unbounded
 * memory.
 */
export class Distinct {
  private seen = new Set<string>();
  /** Whether every key so far was de-duplicated. */
  exact = true;

  /** Whether `key` is seen for the first time (always true once past the limit). */
  add(key: string): boolean {
    if (!this.exact) return true;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > DEDUP_LIMIT) {
      this.exact = false;
      this.seen = new Set();
    }
    return true;
  }
}

/**
 * Progress of a long scan on stderr: on a terminal one line rewritten in place, otherwise (with
 * `--progress`) a line every {@link PROGRESS_EVERY} keys visited and a last line at the end.
 */
export class Progress {
  private visited = 0;
  private matched = 0;
  /** Whether a progress line is on the terminal now. */
  private showing = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly write: (text: string) => void,
    private readonly label: string,
    /** Keys on the servers scanned (DBSIZE), to estimate how far the scan is. */
    private readonly total: number,
    private readonly terminal: boolean,
  ) {}

  /** One SCAN call visited about `visited` keys, `matched` of which matched. */
  advance(visited: number, matched: number): void {
    const before = this.visited;
    this.visited = Math.min(before + visited, this.total);
    this.matched += matched;
    if (Math.floor(this.visited / PROGRESS_EVERY) === Math.floor(before / PROGRESS_EVERY)) return;
    const percent = this.total > 0 ? Math.floor((100 * this.visited) / this.total) : 100;
    const line =
      `${this.label}: ~${formatCount(this.visited)} of ${formatCount(this.total)} keys scanned ` +
      `(${percent}%), ${formatCount(this.matched)} matched, ${formatDuration(Date.now() - this.startedAt)}`;
    this.write(this.terminal ? `\r\x1b[K${line}` : `${line}\n`);
    this.showing = this.terminal;
  }

  /** Ends the report: clears the terminal line, or prints a last line. */
  done(): void {
    if (this.terminal) {
      if (this.showing) this.write('\r\x1b[K');
      return;
    }
    this.write(
      `${this.label}: scanned ${formatCount(this.total)} keys, ${formatCount(this.matched)} matched, in ${formatDuration(Date.now() - this.startedAt)}\n`,
    );
  }
}
