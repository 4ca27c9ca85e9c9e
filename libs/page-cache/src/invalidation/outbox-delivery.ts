import { Logger } from '@nestjs/common';
import type { InvalidationPipeline } from './invalidation-pipeline.js';
import { Backoff } from '../backoff.js';
import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';

/** Records read per pass. */
const BATCH = 500;
/** Longest pause between passes while delivery fails (ms). */
const MAX_DELAY_MS = 5_000;

/**
 * Delivers a journal's invalidations to every cache it serves, keeping their `PendingInvalidations`
 * in step: at startup, after each save (by the saving process), and every `intervalMs` for records
 * any process left behind. Idempotent: replacing a generation token twice costs one more miss.
 */
export class OutboxDelivery {
  private readonly logger = new Logger('CacheInvalidation');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failing = false;
  private readonly backoff: Backoff;
  /**
   * Records this process is delivering now, by id, each with whether it reached every cache: a
   * second delivery of one (a pass and the save that recorded it) joins the first. Delivered
   * twice, it would be counted twice, and cost another miss.
   */
  private readonly delivering = new Map<string, Promise<boolean>>();

  constructor(
    private readonly journal: InvalidationJournal,
    private readonly pipelines: readonly InvalidationPipeline[],
    private readonly intervalMs: number,
    /** Whether other processes write the journal too: then passes read every record's model. */
    private readonly shared = true,
  ) {
    this.backoff = new Backoff(intervalMs, Math.max(MAX_DELAY_MS, intervalMs));
  }

  /** Records `entries`; with `pending`, their models bypass every cache from now on. */
  async record(entries: readonly JournalEntry[], pending = true): Promise<void> {
    await this.journal.record(entries);
    if (pending) this.recorded(entries, true);
  }

  /** Records just written (`committed`: on their own, already durable) bypass every cache. */
  recorded(entries: readonly JournalEntry[], committed = false): void {
    for (const pipeline of this.pipelines) {
      for (const entry of entries) pipeline.pending.add(entry.id, entry.model, this);
      if (committed) pipeline.pending.committed(entries.map(entry => entry.id));
    }
  }

  /**
   * Drops records undelivered: a write's own events replaced what was recorded before it ran. One
   * that cannot be removed now is delivered by a later pass (harmless).
   */
  async forget(entries: readonly JournalEntry[]): Promise<void> {
    const ids = entries.map(entry => entry.id);
    try {
      await this.journal.remove(ids);
    } catch (error) {
      this.logger.warn(`Could not remove settled invalidations: ${(error as Error).message}`);
      return;
    }
    for (const pipeline of this.pipelines) pipeline.pending.delivered(ids);
  }

  async start(): Promise<void> {
    await this.pass();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Delivers records just committed, or (`retry`, from a pass: their edge copies were purged when
   * first delivered) records left behind. One the cache refuses (a model name it cannot store) is
   * quarantined — logged whole and removed — so that it never blocks or hides another.
   * @returns whether all reached the store, and whether the delivered ones left the journal.
   */
  async deliver(
    entries: readonly JournalEntry[],
    retry = false,
  ): Promise<{ complete: boolean; removed: boolean }> {
    if (!retry) {
      for (const pipeline of this.pipelines) pipeline.pending.committed(entries.map(e => e.id));
    }
    const own: JournalEntry[] = [];
    const joined: Promise<boolean>[] = [];
    for (const entry of entries) {
      const inFlight = this.delivering.get(entry.id);
      if (inFlight === undefined) own.push(entry);
      else joined.push(inFlight);
    }
    const delivery = this.deliverNow(own, retry);
    const reached = new Map<string, Promise<boolean>>();
    for (const entry of own) {
      const done = delivery.then(
        outcome => outcome.delivered.has(entry.id),
        () => false,
      );
      reached.set(entry.id, done);
      this.delivering.set(entry.id, done);
    }
    try {
      const [outcome, others] = await Promise.all([delivery, Promise.all(joined)]);
      return { complete: outcome.complete && others.every(Boolean), removed: outcome.removed };
    } finally {
      for (const [id, done] of reached) {
        if (this.delivering.get(id) === done) this.delivering.delete(id);
      }
    }
  }

  private async deliverNow(
    entries: readonly JournalEntry[],
    retry: boolean,
  ): Promise<{ complete: boolean; removed: boolean; delivered: ReadonlySet<string> }> {
    const delivered: string[] = [];
    const undelivered: JournalEntry[] = [];
    for (const group of byTarget(entries)) {
      const { model, entityId } = group[0];
      let reached = true;
      for (const pipeline of this.pipelines) {
        try {
          await pipeline.invalidate(model, entityId ?? undefined, retry);
        } catch (error) {
          if (error instanceof TypeError) {
            const records = group.map(entry => entry.id);
            this.logger.error(
              `Quarantined an invalidation that can never be delivered (${JSON.stringify({ model, entityId, records })}): ${error.message}`,
            );
            break;
          }
          reached = false;
        }
      }
      if (reached) delivered.push(...group.map(entry => entry.id));
      else undelivered.push(...group);
    }
    for (const pipeline of this.pipelines) pipeline.pending.delivered(delivered);
    // Records that were not marked pending before this attempt (see `record`) are now.
    if (undelivered.length > 0) this.recorded(undelivered, true);
    let removed = true;
    if (delivered.length > 0) {
      try {
        await this.journal.remove(delivered);
      } catch (error) {
        // Delivered but still recorded: a later pass delivers them again (idempotent).
        removed = false;
        this.logger.warn(`Could not remove delivered invalidations: ${(error as Error).message}`);
      }
    }
    return { complete: undelivered.length === 0, removed, delivered: new Set(delivered) };
  }

  /**
   * One pass: mark every undelivered record's model pending (so none further back is served), then
   * deliver batch after batch until the journal is empty or the store stops answering.
   */
  async pass(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.readPending();
        let complete = true;
        const waiting = new Set<string>();
        for (;;) {
          const entries = await this.journal.pending(BATCH);
          if (entries.length === 0) break;
          // Records this process is delivering already are joined, not delivered again.
          const outcome = await this.deliver(entries, true);
          if (!outcome.complete) {
            complete = false;
            for (const entry of entries) waiting.add(entry.model);
          }
          // A short batch was the last; a failing store or journal waits for the next pass.
          if (entries.length < BATCH || !outcome.complete || !outcome.removed) break;
        }
        await this.readPending();
        // Said once per change: from delivering to waiting, and back.
        if (complete === !this.failing) return;
        this.failing = !complete;
        if (this.failing) {
          this.logger.warn(
            `Invalidations of ${[...waiting].join(', ')} are waiting for the store; pages built from them bypass the cache until they are delivered.`,
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

  /**
   * The models the journal holds bypass every cache; this process's records that left it (any
   * process delivered them) stop being pending. Without `pendingModels`, only the oldest are read.
   */
  private async readPending(): Promise<void> {
    if (!this.shared) return;
    const readAt = Date.now();
    if (this.journal.pendingModels) {
      const models = await this.journal.pendingModels();
      for (const pipeline of this.pipelines) {
        pipeline.pending.replaceSeen(this, models, { readAt });
      }
      return;
    }
    const entries = await this.journal.pending(BATCH);
    const complete = entries.length < BATCH ? { readAt } : undefined;
    const models = entries.map(entry => entry.model);
    for (const pipeline of this.pipelines) pipeline.pending.replaceSeen(this, models, complete);
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.failing) this.backoff.failed();
    else this.backoff.succeeded();
    this.tick(Date.now() + this.backoff.delayMs);
  }

  /**
   * Waits for the next pass, reading the journal's models every `intervalMs` meanwhile: other
   * processes still record, and the store may come back at any moment with old entries.
   */
  private tick(passAt: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        if (Date.now() >= passAt) void this.pass().finally(() => this.schedule());
        else {
          void this.readPending()
            .catch(() => undefined)
            .finally(() => this.tick(passAt));
        }
      },
      Math.max(0, Math.min(this.intervalMs, passAt - Date.now())),
    );
    this.timer.unref();
  }
}

/** Entries grouped by target (model and entity id). */
function byTarget(entries: readonly JournalEntry[]): JournalEntry[][] {
  const groups = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    const key = JSON.stringify([entry.model, entry.entityId]);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()];
}
