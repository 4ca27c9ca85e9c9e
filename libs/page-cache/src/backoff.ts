/**
 * The pause before retrying what failed — an undelivered invalidation, an edge purge, a lock
 * another owner holds: it doubles with each failure, from `min` up to `max` ms, and starts again
 * from `min` once one succeeds. One mechanism for every retry of the library.
 */
export class Backoff {
  private current: number;

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    this.current = min;
  }

  /** The pause before the next attempt (ms). */
  get delayMs(): number {
    return this.current;
  }

  /** An attempt failed (or is about to be made again): the next pause doubles. @returns it */
  failed(): number {
    this.current = Math.min(this.current * 2, this.max);
    return this.current;
  }

  /** An attempt went through: the next pause is the shortest again. */
  succeeded(): void {
    this.current = this.min;
  }
}
