import type { Cluster, Redis } from 'ioredis';

/**
 * How long an epoch stays in the record after a process last saw it current (ms): the longest a
 * process may go on using the tokens of an epoch the others have left (frozen, or not checked
 * yet) and still be reached by an invalidation made in another epoch.
 */
export const EPOCH_WINDOW_MS = 3_600_000;
/** How often a process records again the epoch it is in (ms), so that the record stays recent. */
const RECORD_EVERY_MS = 300_000;
/** Most epochs kept (a cluster failing over again and again). */
const RECORD_MAX = 16;

/**
 * Records epochs (`ARGV[2..]`) as current now, in Redis time (one clock for every process); drops
 * those older than the window (`ARGV[1]`) and beyond the most kept; returns the rest.
 */
const RECORD_SCRIPT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
for i = 2, #ARGV do
  local seen = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not seen or tonumber(seen) < now then redis.call('ZADD', KEYS[1], now, ARGV[i]) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -${RECORD_MAX + 1})
redis.call('PEXPIRE', KEYS[1], window)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/**
 * The epochs processes were recently in, kept in the store (a sorted set: epoch → when a process
 * last saw it current, in Redis time, ms) and remembered here. A process notices a new epoch only at its next
 * check, so for a moment processes are in different epochs and use different tokens: an
 * invalidation removes the tokens of every recent epoch (see `CacheStore.otherEpochs`). For that
 * to reach every process, each one adds an epoch here *before* it uses it, and the record is read
 * at each invalidation: any epoch whose tokens exist by then is in it — the old one a lagging
 * process is still in, and the new one, whoever invalidates.
 */
export class EpochRecord {
  /**
   * Epochs known to have been recent, and when this process last learned so (its own clock, ms):
   * added here, or read back from the record (which holds recent ones only).
   */
  private readonly seen = new Map<string, number>();
  /** The epoch last added to the store, and when (ms). */
  private added: string | undefined;
  private addedAt = 0;
  /** The store refused the record (an ACL): epochs are only remembered here. */
  private refused = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly key: string,
    private readonly onWarning: (reason: string) => void,
  ) {}

  /** Whether `epoch` must be added (again) before it is used or to stay recent. */
  due(epoch: string): boolean {
    return epoch !== this.added || Date.now() - this.addedAt >= RECORD_EVERY_MS;
  }

  /**
   * Adds `epoch` as current now, and `left` (the epoch this process was in before) as left now.
   * A store that refuses it is warned about once; a connection failure throws.
   */
  async add(epoch: string, left?: string): Promise<void> {
    const now = Date.now();
    const epochs = left === undefined || left === epoch ? [epoch] : [epoch, left];
    for (const id of epochs) this.seen.set(id, now);
    if (this.refused) return;
    try {
      const reply = await this.client.eval(RECORD_SCRIPT, 1, this.key, EPOCH_WINDOW_MS, ...epochs);
      this.remember(reply as string[]);
      this.added = epoch;
      this.addedAt = now;
    } catch (error) {
      // Refused for good (an ACL, scripts disabled); any other failure is asked again.
      if (!(error instanceof Error) || !/NOPERM|unknown command/i.test(error.message)) throw error;
      this.refused = true;
      this.onWarning(
        `the store refused the epoch record (${error.message}); during a failover an invalidation may miss a process that has not noticed it yet`,
      );
    }
  }

  /**
   * The recent epochs other than `current`, as read from the store now (an epoch a process entered
   * since the last read is in it), with those remembered here; only the latter when the store
   * cannot be read.
   */
  async read(current: string | undefined): Promise<string[]> {
    if (!this.refused) {
      try {
        this.remember(await this.client.zrange(this.key, '0', '-1'));
      } catch {
        // Unreachable or refused: what this process saw itself still holds.
      }
    }
    return this.known(current);
  }

  /** The recent epochs other than `current` known here (added here, or read back). */
  known(current: string | undefined): string[] {
    const since = Date.now() - EPOCH_WINDOW_MS;
    const others: string[] = [];
    for (const [epoch, at] of this.seen) {
      if (at < since) this.seen.delete(epoch);
      else if (epoch !== current) others.push(epoch);
    }
    return others;
  }

  /** Merges the epochs of a record read back: recent as of now (the record is kept trimmed). */
  private remember(epochs: readonly string[]): void {
    const now = Date.now();
    for (const epoch of epochs) this.seen.set(epoch, now);
  }
}
