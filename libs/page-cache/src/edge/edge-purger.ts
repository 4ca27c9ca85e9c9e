import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { CacheStatistics } from '../cache-statistics.js';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../cache.options.js';
import type { EdgePurge } from '../interfaces/edge-options.interface.js';
import { edgeTags } from './edge-tags.js';
import { Backoff } from '../backoff.js';
import { within } from '../pages/fill/single-flight.js';

/** What became of an invalidation's edge purge (see {@link EdgePurger.purge}). */
export type EdgePurgeResult = 'succeeded' | 'failed' | 'queued' | 'slow';

/** How long an invalidation waits for the edge's first answer before it returns (ms). */
const EDGE_WAIT_MS = 2_000;
/** A purge that has not settled after this long counts as failed, and is retried (ms). */
const EDGE_ATTEMPT_TIMEOUT_MS = 10_000;
/** How long after an outdated tagged page was sent its URL is purged again (ms). */
export const EDGE_REPURGE_MS = 1_000;
/** Most tags given to one retry call (Fastly takes 256 keys a request). */
const RETRY_BATCH = 256;

/**
 * Purges the edge cache (`pages.edge.purge`) after each invalidation has cleared Redis. The
 * invalidation waits for the first answer (bounded), so a client that saved and reads again
 * through the edge sees its change; a failed purge is retried with backoff until it goes through,
 * since a copy left at the edge would be served for as long as the edge keeps it.
 */
@Injectable()
export class EdgePurger implements OnModuleDestroy {
  private readonly logger = new Logger('CacheInvalidation');
  private readonly purgeFn?: EdgePurge;
  /** Tags whose purge failed, to retry (each once, however many saves named it). */
  private readonly pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private retrying = false;
  /** A purge outlived {@link EDGE_WAIT_MS} and has not settled yet. */
  private slow = false;
  /** First and longest pause before retrying a failed purge (ms), as for a failed invalidation. */
  private readonly backoff = new Backoff(100, 5_000);
  /** Retries since nothing was pending (an event's `attempt` is this plus one). */
  private rounds = 0;
  private stopped = false;

  constructor(
    @Inject(CACHE_OPTIONS) options: ResolvedCacheOptions,
    private readonly statistics: CacheStatistics,
  ) {
    this.purgeFn = options.pages.edge?.purge;
    if (this.purgeFn) statistics.edgePending = () => this.pending.size;
  }

  /** Whether an edge purge is configured (`pages.edge.purge`). */
  get enabled(): boolean {
    return this.purgeFn !== undefined;
  }

  /**
   * Purges the edge copies of what an invalidation cleared (its dependencies and lookup tags).
   * Never rejects; resolves once the edge answered, or after {@link EDGE_WAIT_MS}. While the edge
   * is failing or slow, the tags join the retries at once: saves neither wait for an edge that is
   * down nor pile calls onto it.
   * @returns what became of it: `succeeded`, `failed` (retried), `queued` (joined the retries),
   *   `slow` (no answer in time; it goes on), or nothing (no purge configured, nothing to purge).
   */
  async purge(names: readonly string[]): Promise<EdgePurgeResult | undefined> {
    if (!this.purgeFn || this.stopped || names.length === 0) return undefined;
    const tags = edgeTags(names);
    if (this.pending.size > 0 || this.retrying || this.slow) {
      for (const tag of tags) this.pending.add(tag);
      this.scheduleRetry();
      return 'queued';
    }
    const answered = await within(this.attempt(tags, 1), EDGE_WAIT_MS);
    if (answered !== undefined) return answered ? 'succeeded' : 'failed';
    // Until an attempt answers, later purges are queued rather than waited for.
    this.slow = true;
    return 'slow';
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.pending.size > 0) {
      this.logger.warn(
        `${this.pending.size} edge tags were never purged (the edge did not answer before shutdown): ${[...this.pending].slice(0, 10).join(' ')}${this.pending.size > 10 ? ' …' : ''}`,
      );
    }
  }

  /**
   * One call of `purge` (attempt 1 is a save's own, the others retries); a failure queues its tags
   * for a retry. @returns whether it succeeded.
   */
  private async attempt(tags: string[], attempt: number): Promise<boolean> {
    try {
      await this.call(tags);
      if (attempt === 1) this.slow = false;
      this.statistics.edgePurge('succeeded', tags, attempt);
      return true;
    } catch (error) {
      if (attempt === 1) this.slow = false;
      for (const tag of tags) this.pending.add(tag);
      // While retrying, this schedules nothing: it says the delay the retry loop will take.
      const retryInMs = this.scheduleRetry();
      const message = error instanceof Error ? error.message : String(error);
      this.statistics.edgePurge('failed', tags, attempt, message, retryInMs);
      if (attempt === 1) {
        const shown =
          tags.length <= 5
            ? tags.join(' ')
            : `${tags.slice(0, 5).join(' ')} … (${tags.length} tags)`;
        this.logger.warn(`Edge purge of ${shown} failed, retrying: ${message}`);
      }
      return false;
    }
  }

  /** Calls `purge`, bounded by {@link EDGE_ATTEMPT_TIMEOUT_MS}. */
  private async call(tags: string[]): Promise<void> {
    // A purge function that throws instead of rejecting is a failed purge too.
    const purged = Promise.resolve().then(() => this.purgeFn!([...tags]));
    if (
      !(await within(
        purged.then(() => true),
        EDGE_ATTEMPT_TIMEOUT_MS,
      ))
    ) {
      throw new Error(`timed out after ${EDGE_ATTEMPT_TIMEOUT_MS} ms`);
    }
  }

  /** Schedules the next retry unless one is scheduled or running. @returns its delay (ms). */
  private scheduleRetry(): number {
    if (!this.stopped && !this.timer && !this.retrying) {
      this.timer = setTimeout(() => void this.retry(), this.backoff.delayMs);
      this.timer.unref();
    }
    return this.backoff.delayMs;
  }

  /** Retries every pending tag, in batches, until a failure (which backs off) or none is left. */
  private async retry(): Promise<void> {
    this.timer = undefined;
    this.retrying = true;
    try {
      while (this.pending.size > 0 && !this.stopped) {
        const batch = [...this.pending].slice(0, RETRY_BATCH);
        for (const tag of batch) this.pending.delete(tag);
        this.rounds++;
        this.statistics.edgePurge('retrying', batch, this.rounds + 1);
        // Backed off before the outcome is known, so that a failure reports the next delay.
        this.backoff.failed();
        if (!(await this.attempt(batch, this.rounds + 1))) break;
      }
    } finally {
      this.retrying = false;
    }
    if (this.pending.size > 0) {
      this.scheduleRetry();
      return;
    }
    this.backoff.succeeded();
    this.rounds = 0;
    this.logger.log('Pending edge purges went through.');
  }
}
