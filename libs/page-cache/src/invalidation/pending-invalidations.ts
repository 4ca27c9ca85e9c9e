import { dependencyModel } from '../models.js';

/** One of this process's undelivered records. */
interface LocalRecord {
  model: string;
  /** The journal (its delivery) that holds it. */
  source: object;
  /** When its change committed: every later read of the outbox sees it until delivered. */
  committedAt?: number;
}

/**
 * The models with invalidations that have not reached the store yet — this process's own, and
 * those found in a journal any process wrote. What is built from them bypasses the cache until
 * delivered: a process that knows it is behind does not serve what may be stale. Changes cost
 * O(1) (`replaceSeen` O(models)); the hit path reads `size` only (0 in normal operation).
 */
export class PendingInvalidations {
  /** This process's undelivered records, by id. */
  private readonly local = new Map<string, LocalRecord>();
  /** How many of `local` name each model. */
  private readonly counts = new Map<string, number>();
  /** The models of each journal's undelivered records, as last read, by journal. */
  private readonly seen = new Map<object, ReadonlySet<string>>();
  /** The union of `counts`' models and every `seen` set. */
  private readonly merged = new Set<string>();

  /** How many models are pending (0: nothing to check). */
  get size(): number {
    return this.merged.size;
  }

  /** Whether any of `models` (model names) has an undelivered invalidation. */
  affects(models: Iterable<string>): boolean {
    if (this.merged.size === 0) return false;
    for (const model of models) if (this.merged.has(model)) return true;
    return false;
  }

  /** Whether an entry that recorded `deps` (`Post`, `Post/42`…) is built from such a model. */
  affectsDependencies(deps: readonly string[]): boolean {
    return this.merged.size > 0 && this.affects(deps.map(dependencyModel));
  }

  /** A save of `model` is recorded (record `id`, in `source`); its invalidation is on its way. */
  add(id: string, model: string, source: object): void {
    if (this.local.has(id)) return;
    this.local.set(id, { model, source });
    const count = this.counts.get(model) ?? 0;
    this.counts.set(model, count + 1);
    if (count === 0) this.merged.add(model);
  }

  /** These records' changes committed: the outbox shows them to every later read. */
  committed(ids: readonly string[]): void {
    const now = Date.now();
    for (const id of ids) {
      const record = this.local.get(id);
      if (record && record.committedAt === undefined) record.committedAt = now;
    }
  }

  /** These records reached the store. */
  delivered(ids: readonly string[]): void {
    for (const id of ids) {
      const record = this.local.get(id);
      if (!record) continue;
      this.local.delete(id);
      const count = this.counts.get(record.model)! - 1;
      if (count > 0) {
        this.counts.set(record.model, count);
      } else {
        this.counts.delete(record.model);
        const seen = [...this.seen.values()].some(models => models.has(record.model));
        if (!seen) this.merged.delete(record.model);
      }
    }
  }

  /**
   * The models of the undelivered records `source` holds now. With `complete` (all of them, read
   * by a query begun at `readAt`), this process's committed records of it of any other model have
   * left it — whichever process delivered them — and stop being pending.
   */
  replaceSeen(source: object, models: Iterable<string>, complete?: { readAt: number }): void {
    const seen = new Set(models);
    this.seen.set(source, seen);
    if (complete) {
      const gone = [...this.local].filter(
        ([, record]) =>
          record.source === source &&
          record.committedAt !== undefined &&
          record.committedAt < complete.readAt &&
          !seen.has(record.model),
      );
      this.delivered(gone.map(([id]) => id));
    }
    this.merged.clear();
    for (const model of this.counts.keys()) this.merged.add(model);
    for (const models of this.seen.values()) for (const model of models) this.merged.add(model);
  }

  /** For logs and tests. */
  models(): string[] {
    return [...this.merged].sort();
  }
}
