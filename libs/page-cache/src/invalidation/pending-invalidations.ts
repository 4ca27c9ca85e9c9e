import { dependencyModel } from '../models.js';

/**
 * The models this process knows have invalidations that have not reached the store yet: its own
 * (a save committed while the store was unreachable, recorded in a journal or outbox or only
 * retried in memory) and those found in the durable outbox that any process wrote. A page, a
 * `@Cached` result or a value built from one of them is not served from the cache — it bypasses
 * — until the invalidation is delivered: a process that knows it is behind does not serve what
 * may be stale.
 *
 * The hit path reads `size` only (0 in normal operation).
 */
export class PendingInvalidations {
  /** This process's undelivered records: record id → model. */
  private readonly local = new Map<string, string>();
  private seen = new Set<string>();
  private merged = new Set<string>();

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

  /**
   * Whether an entry that recorded `deps` (its dependencies: `Post`, `Post/42`…) is built from a
   * model with an undelivered invalidation.
   */
  affectsDependencies(deps: readonly string[]): boolean {
    if (this.merged.size === 0) return false;
    for (const dep of deps) if (this.merged.has(dependencyModel(dep))) return true;
    return false;
  }

  /** A save of `model` committed (record `id`); its invalidation is on its way. */
  add(id: string, model: string): void {
    this.local.set(id, model);
    this.merge();
  }

  /** These records reached the store. */
  delivered(ids: readonly string[]): void {
    let changed = false;
    for (const id of ids) changed = this.local.delete(id) || changed;
    if (changed) this.merge();
  }

  /** The models of the undelivered records the outbox holds now. */
  replaceSeen(models: Iterable<string>): void {
    this.seen = new Set(models);
    this.merge();
  }

  /** Names, for logs and tests. */
  models(): string[] {
    return [...this.merged].sort();
  }

  private merge(): void {
    this.merged = new Set([...this.local.values(), ...this.seen]);
  }
}
