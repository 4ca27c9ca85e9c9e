import { performance } from 'node:perf_hooks';
import { LeaseClock } from './lease-clock.js';
import type { NearNames } from './near-names.js';
import type { NearClient } from './near-scripts.js';

/** State of a holder's lease, as `stats()` shows it. */
export type LeaseState = 'held' | 'lapsed';

/**
 * A holder's lease in the registry (`{namespace}:near:holders`, scores in Redis time), renewed
 * every third of its term in the background. Each renewal pings the holder's own channel; the
 * lease is usable from the ping's return until the renewal's send time + term - drift margin
 * ({@link LeaseClock}). When it stops being usable — its deadline passed, or the channel or the
 * command connection was lost — `onLapse` is called, once per lapse.
 */
export class NearLease {
  private readonly clock: LeaseClock;
  private renewTimer: NodeJS.Timeout | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;
  private held = false;
  /**
   * When the registry's life in which this lease was first registered began (Redis time): a
   * process that held a lease there must wait out a later life's first lease before its writes
   * resolve (see `NearAnnouncer`).
   */
  firstLife: number | undefined;
  private closed = false;

  constructor(
    private readonly client: NearClient,
    private readonly names: NearNames,
    readonly id: string,
    leaseMs: number,
    private readonly onLapse: () => void,
    /** A monotonic clock (ms). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.clock = new LeaseClock(leaseMs);
  }

  /** Starts renewing (the first renewal at once). */
  start(): void {
    const every = Math.max(10, Math.floor(this.clock.leaseMs / 3));
    this.renewTimer = setInterval(() => this.renew(), every);
    this.renewTimer.unref();
    this.renew();
  }

  /** Whether near copies may be served now. */
  usable(): boolean {
    if (this.clock.usable(this.now())) return true;
    if (this.held) this.lapse();
    return false;
  }

  get state(): LeaseState {
    return this.usable() ? 'held' : 'lapsed';
  }

  /** Sends a renewal now (also when the channel came back: the lease is proven sooner). */
  renew(): void {
    if (this.closed) return;
    const renewal = this.clock.renewalSent(this.now());
    const { holders, life } = this.names;
    this.client
      .pcNearRenew(
        holders,
        life,
        this.id,
        this.clock.leaseMs,
        this.names.pings(this.id),
        String(renewal),
      )
      .then(([, since]) => {
        this.firstLife ??= since;
      })
      .catch(() => undefined);
  }

  /** The ping of `renewal` came back on the holder's own channel, from the server heard. */
  pinged(renewal: number): void {
    if (this.closed) return;
    // Regained after a lapse nobody noticed (the process was paused, its timers late): what was
    // held before may have missed invalidations announced while it was not registered.
    const was = this.clock.usable(this.now());
    if (!this.clock.pingReceived(renewal)) return;
    if (!was) this.lapse();
    this.held = this.clock.usable(this.now());
    if (!this.held) return;
    clearTimeout(this.lapseTimer);
    this.lapseTimer = setTimeout(() => this.usable(), this.clock.deadline - this.now() + 1);
    this.lapseTimer.unref();
  }

  /** The channel or the command connection was lost: invalidations may have been missed. */
  lost(): void {
    this.clock.lost();
    this.lapse();
  }

  /** Stops renewing and leaves the registry. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.lapseTimer);
    this.clock.lost();
    this.held = false;
    // Lapsed, not removed: an empty registry is gone, and one gone where leases were registered
    // starts a new life (a lost registry looks the same). The next renewal elsewhere sweeps it.
    await this.client.zadd(this.names.holders, 0, this.id).catch(() => undefined);
  }

  private lapse(): void {
    this.held = false;
    clearTimeout(this.lapseTimer);
    this.onLapse();
  }
}
