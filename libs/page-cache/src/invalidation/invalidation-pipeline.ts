import type { DependencyTracker } from '../dependency-tracker.js';
import type { ModelRef } from '../interfaces/model-ref.interface.js';
import { invalidationTargets } from '../models.js';
import { urlTagOf } from '../pages/key/page-key.js';
import { ATTRIBUTES, SPANS } from '../telemetry/telemetry-names.js';
import type { CacheTracing, TraceAttributes, TraceSpan } from '../telemetry/tracing.interface.js';
import { PendingInvalidations } from './pending-invalidations.js';

/** Where a delivered invalidation is also purged: the edge cache (`pages.edge.purge`). */
export interface EdgePurge {
  /** Whether an edge purge is configured (traced only then). */
  readonly enabled?: boolean;
  /** Purges `targets`; resolves with what became of the purge (see `EdgePurger.purge`). */
  purge(targets: readonly string[]): Promise<string | undefined | void>;
}

/** A page path and its query, as `expirePage` and the CLI's `expire` take them. */
export type PageQuery = Record<string, string | number | readonly (string | number)[]>;

/**
 * The one path an invalidation takes to one cache, whoever asked for it: replace the generation
 * tokens of its targets (so nothing stored before, indexed or not, or still being rendered, is
 * served after it), remove the entries indexed under them, then purge the edge. `pending` keeps
 * what was asked for and not delivered yet: entries built from those models bypass the cache.
 */
export class InvalidationPipeline {
  readonly pending = new PendingInvalidations();

  constructor(
    private readonly tracker: DependencyTracker,
    private readonly edge?: EdgePurge,
    private readonly counted?: (
      model: string,
      id: string | number | undefined,
      removed: number,
    ) => void,
    /** Each invalidation is a `page_cache.invalidate` span, its edge purge a child. */
    private readonly tracing?: CacheTracing,
  ) {}

  /**
   * Outdates and removes what was built from `model` (or its entity `id`), then purges the edge —
   * even when the store cannot be reached, unless `retry`: a store down for long would otherwise
   * have the edge purged on every retry (a retry that succeeds purges once more).
   * @returns how many entries were removed.
   * @throws TypeError when `model` is not a name the cache can store (before anything is written).
   */
  invalidate(model: ModelRef, id?: string | number, retry = false): Promise<number> {
    const targets = invalidationTargets(model, id);
    const span = this.tracing?.start(
      SPANS.invalidate,
      {
        [ATTRIBUTES.invalidationKind]: 'model',
        [ATTRIBUTES.model]: targets[0]!,
        [ATTRIBUTES.retry]: retry,
      },
      id === undefined ? undefined : { [ATTRIBUTES.entityId]: String(id) },
    );
    return this.purgingEdge(
      targets,
      async () => {
        const removed = await this.tracker.invalidate(targets);
        this.counted?.(targets[0]!, id, removed);
        return removed;
      },
      !retry,
      span,
    );
  }

  /**
   * Outdates and removes every stored variant of one URL (the variants of `query` alone when it
   * is given), then purges their edge copies.
   * @throws TypeError when `path` is not a path (before anything is written).
   */
  expire(path: string, query?: PageQuery): Promise<number> {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError(
        `Invalid page path: ${JSON.stringify(path)}. Expected a path such as '/posts'.`,
      );
    }
    const tag = urlTagOf(path, query);
    const span = this.tracing?.start(
      SPANS.invalidate,
      { [ATTRIBUTES.invalidationKind]: 'page' },
      { [ATTRIBUTES.path]: path },
    );
    return this.purgingEdge([tag], () => this.tracker.invalidate([tag]), true, span);
  }

  /**
   * Runs the store step, then purges the edge copies of `targets` — also when that step failed
   * (with `purgeOnFailure`): the edge does not depend on the store. A page rendered from old data
   * meanwhile may reach the edge again; the retried invalidation purges once more.
   */
  private async purgingEdge(
    targets: string[],
    storeStep: () => Promise<number>,
    purgeOnFailure: boolean,
    span?: TraceSpan,
  ): Promise<number> {
    let removed: number;
    try {
      removed = await (span ? span.run(storeStep) : storeStep());
    } catch (error) {
      if (purgeOnFailure) await this.purgeEdge(targets, span);
      span?.end(error);
      throw error;
    }
    span?.set(ATTRIBUTES.entriesRemoved, removed);
    // Even when the store held nothing: the edge may keep a page the store evicted or expired.
    await this.purgeEdge(targets, span);
    span?.end();
    return removed;
  }

  /** Purges the edge, in a `page_cache.edge_purge` span that says how it went. */
  private async purgeEdge(targets: string[], span: TraceSpan | undefined): Promise<void> {
    const edge = this.edge;
    if (!edge) return;
    if (!span || !edge.enabled) {
      await edge.purge(targets);
      return;
    }
    await span.child(
      SPANS.edgePurge,
      () => edge.purge(targets),
      outcome => {
        const attributes: TraceAttributes = {};
        if (typeof outcome === 'string') attributes[ATTRIBUTES.edgeOutcome] = outcome;
        return attributes;
      },
    );
  }
}
