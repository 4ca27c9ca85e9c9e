import { Logger } from '@nestjs/common';
import type { CacheService } from '../cache.service.js';
import { parseTtl, type Ttl } from '../ttl.js';
import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';

/** Records read per pass. */
const BATCH = 500;
/** Longest pause between passes while delivery fails (ms). */
const MAX_DELAY_MS = 5_000;

/**
 * Delivers the invalidations a journal holds to the store of every cache it serves, and keeps
 * their `PendingInvalidations` in step with it: at startup, after each save (the saving process
 * delivers its own records at once), and every `intervalMs` for records any process left behind
 * (one that died, or could not reach the store). A record leaves the journal once every cache
 * has it. Delivery is idempotent: replacing a generation token twice only costs one more miss.
 */
export class OutboxDelivery {
  private readonly logger = new Logger('CacheInvalidation');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failing = false;
  /** Pause before the next pass: `intervalMs`, doubled (up to 5 s) while delivery fails. */
  private delayMs: number;

  constructor(
    private readonly journal: InvalidationJournal,
    private readonly caches: readonly CacheService[],
    private readonly intervalMs: number,
  ) {
    this.delayMs = intervalMs;
  }

  /** Records just written (before their commit's delivery): their models bypass every cache. */
  recorded(entries: readonly JournalEntry[]): void {
    for (const cache of this.caches) {
      for (const entry of entries) cache.pendingInvalidations.add(entry.id, entry.model);
    }
  }

  /** Delivers what is pending now, then every `intervalMs`. */
  async start(): Promise<void> {
    await this.pass();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Delivers records just written (after their transaction committed), or, from a pass, records
   * left behind (`retry`: their edge copies were purged when they were first delivered, so a
   * failure now does not purge them again).
   * @returns whether all reached the store (the others stay in the journal for a later pass).
   */
  async deliver(entries: readonly JournalEntry[], retry = false): Promise<boolean> {
    const delivered: string[] = [];
    let complete = true;
    for (const [model, id, ids] of group(entries)) {
      let reached = true;
      for (const cache of this.caches) {
        try {
          if (retry) await cache.retryInvalidation(model, id ?? undefined);
          else await cache.invalidate(model, id ?? undefined);
        } catch {
          reached = false;
        }
      }
      if (reached) delivered.push(...ids);
      else complete = false;
    }
    for (const cache of this.caches) cache.pendingInvalidations.delivered(delivered);
    if (delivered.length > 0) {
      try {
        await this.journal.remove(delivered);
      } catch (error) {
        // Delivered but still recorded: a later pass delivers them again (idempotent).
        this.logger.warn(`Could not remove delivered invalidations: ${(error as Error).message}`);
      }
    }
    return complete;
  }

  /** One pass over the journal: mark what it holds as pending, deliver it, unmark what went. */
  async pass(): Promise<void> {
    this.running ??= (async () => {
      try {
        const entries = await this.journal.pending(BATCH);
        this.seen(entries);
        if (entries.length === 0) return;
        const complete = await this.deliver(entries, true);
        if (complete) {
          this.seen(await this.journal.pending(BATCH));
        }
        if (complete !== !this.failing) return;
        this.failing = !complete;
        if (this.failing) {
          this.logger.warn(
            `Invalidations of ${[...new Set(entries.map(e => e.model))].join(', ')} are waiting for the store; pages built from them bypass the cache until they are delivered.`,
          );
        } else {
          this.logger.log('Pending invalidations delivered.');
        }
      } catch (error) {
        this.logger.warn(`Could not read the invalidation journal: ${(error as Error).message}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** What the journal holds now: its models bypass every cache until delivered. */
  private seen(entries: readonly JournalEntry[]): void {
    const models = entries.map(entry => entry.model);
    for (const cache of this.caches) cache.pendingInvalidations.replaceSeen(models);
  }

  private schedule(): void {
    if (this.stopped) return;
    // Back off while the store cannot be reached (a process that cannot reach it serves nothing
    // from it either); back to the interval as soon as a pass delivers.
    this.delayMs = this.failing
      ? Math.min(Math.max(this.delayMs * 2, this.intervalMs), MAX_DELAY_MS)
      : this.intervalMs;
    this.timer = setTimeout(() => {
      void this.pass().finally(() => this.schedule());
    }, this.delayMs);
    this.timer.unref();
  }
}

/** Entries grouped by target: [model, entity id or null, record ids]. */
function group(entries: readonly JournalEntry[]): [string, string | null, string[]][] {
  const groups = new Map<string, [string, string | null, string[]]>();
  for (const entry of entries) {
    const key = `${entry.model}\u0000${entry.entityId ?? ''}\u0000${entry.entityId === null}`;
    const group = groups.get(key);
    if (group) group[2].push(entry.id);
    else groups.set(key, [entry.model, entry.entityId, [entry.id]]);
  }
  return [...groups.values()];
}

/**
 * Creates an ORM integration's outbox table if needed and starts delivering it: what it holds
 * (records a process left when it died, or could not reach the store) before the app serves, then
 * every `interval` (default 1 s; `option` names it in errors).
 */
export async function startOutboxDelivery(
  outbox: InvalidationJournal & { ensureTable(): Promise<void> },
  caches: readonly CacheService[],
  interval: Ttl | undefined,
  option: string,
): Promise<OutboxDelivery> {
  await outbox.ensureTable();
  const delivery = new OutboxDelivery(outbox, caches, parseTtl(interval ?? '1s', option));
  await delivery.start();
  return delivery;
}
