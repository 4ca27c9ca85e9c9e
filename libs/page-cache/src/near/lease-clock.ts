/** The margin kept for clock drift between this process and Redis (ms): 10% of the lease, >= 50. */
export function driftMargin(leaseMs: number): number {
  return Math.max(50, Math.round(leaseMs / 10));
}

/**
 * The holder's own view of its lease, on a local monotonic clock. A renewal registers the holder
 * until Redis's now + lease; Redis ran it after it was sent, so `sent + lease` falls before that
 * expiry, and a margin for drift is taken off. A renewal counts only once its ping came back on
 * the subscription (the proof that the channel delivers), and never one sent before the channel
 * was last lost: a ping sent then may have been heard while invalidations were not.
 */
export class LeaseClock {
  readonly marginMs: number;
  private readonly sent = new Map<number, number>();
  private renewals = 0;
  /** Renewals up to this one prove nothing (the channel was lost after they were sent). */
  private lostAfter = 0;
  private until = 0;

  constructor(readonly leaseMs: number) {
    this.marginMs = driftMargin(leaseMs);
  }

  /** Records a renewal sent at `at`. @returns its number, carried by its ping. */
  renewalSent(at: number): number {
    const renewal = ++this.renewals;
    this.sent.set(renewal, at);
    // Renewals whose pings never came back are forgotten after a few more.
    for (const old of this.sent.keys()) {
      if (old > renewal - 8) break;
      this.sent.delete(old);
    }
    return renewal;
  }

  /** The ping of `renewal` came back. @returns whether it extended the deadline. */
  pingReceived(renewal: number): boolean {
    const at = this.sent.get(renewal);
    if (renewal <= this.lostAfter || at === undefined) return false;
    for (const old of this.sent.keys()) {
      if (old > renewal) break;
      this.sent.delete(old);
    }
    const deadline = at + this.leaseMs - this.marginMs;
    if (deadline <= this.until) return false;
    this.until = deadline;
    return true;
  }

  /** The channel was lost (or the command connection): the lease is void until a new proof. */
  lost(): void {
    this.lostAfter = this.renewals;
    this.until = 0;
    this.sent.clear();
  }

  /** Whether near copies may be served at `now`. */
  usable(now: number): boolean {
    return now < this.until;
  }

  /** Local time the lease stops being usable (0 when it is not held). */
  get deadline(): number {
    return this.until;
  }
}
