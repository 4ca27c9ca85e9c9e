import { Command, type Cluster, type Redis } from 'ioredis';
import { NearChannel } from './near-channel.js';
import { NearCopies } from './near-copies.js';
import { NearLease, type LeaseState } from './near-lease.js';
import { numbered, parseAnnouncement, parsePing, type NearNames } from './near-names.js';
import type { NearClient } from './near-scripts.js';

/** Settings of near copies (the `near` option, resolved). */
export interface NearSettings {
  maxBytes: number;
  leaseMs: number;
}

/**
 * One cache's near copies in this process, and what keeps them consistent: the lease, and the
 * subscription on which invalidations are heard. On an announcement it drops the keys (or
 * everything), which also voids the tickets of reads in flight, then acknowledges. Announcements
 * are numbered in the registry's life; one found missing (a gap, or a ping ahead) drops everything. Copies are
 * served only while the lease is usable; every copy is dropped when it lapses or a connection is
 * lost, since invalidations may have been missed meanwhile.
 */
export class NearHolder {
  readonly copies: NearCopies;
  readonly lease: NearLease;
  readonly channel: NearChannel;
  /** Reads answered from near copies. */
  hits = 0;
  /** The number of the last announcement heard in the registry's life (none yet: undefined). */
  private heard: number | undefined;
  /** The command connection closed: acknowledgements and renewals may have been lost. */
  private readonly closed = () => this.lease.lost();

  constructor(
    private readonly client: NearClient,
    private readonly names: NearNames,
    readonly id: string,
    settings: NearSettings,
  ) {
    this.copies = new NearCopies(settings.maxBytes);
    this.lease = new NearLease(client, names, id, settings.leaseMs, () => this.copies.dropAll());
    this.channel = new NearChannel(
      client as Redis | Cluster,
      () => this.lease.lost(),
      () => this.lease.renew(),
      names.holders,
    );
    client.on('close', this.closed);
  }

  /** Subscribes, then starts the lease (its first ping proves the subscription). */
  async start(): Promise<void> {
    await Promise.all([
      this.channel.subscribe(this.names.invalidations, message => this.announced(message)),
      this.channel.subscribe(this.names.pings(this.id), message => this.pinged(message)),
    ]).catch(() => undefined);
    this.lease.start();
  }

  /**
   * The copies of `keys` when every one is held and the lease is usable; else `undefined`. Read
   * only: the same array may be returned again (see `NearCopies.getAll`).
   */
  serve(keys: readonly string[]): readonly Buffer[] | undefined {
    if (this.copies.size === 0 || !this.lease.usable()) return undefined;
    const values = this.copies.getAll(keys);
    if (values !== undefined) this.hits++;
    return values;
  }

  get state(): LeaseState {
    return this.lease.state;
  }

  async close(): Promise<void> {
    this.client.off('close', this.closed);
    this.copies.dropAll();
    await this.lease.close();
    await this.channel.close();
  }

  /**
   * A ping proves the lease only when it was published by the server the channel hears: then every
   * announcement published there since the channel was last lost came the same way, in order.
   * One relayed from another server (on a Cluster, by the bus, from a master the channel is not on)
   * proves nothing of the announcements; the channel moves to the master that publishes. A ping
   * also carries the number of the last announcement made before it: a higher number than heard,
   * and announcements were missed while the channel stayed up; a lower one, and the registry
   * began a new life. Either way nothing held is known good.
   */
  private pinged(message: string): void {
    const ping = parsePing(message);
    if (ping === undefined) return;
    if (ping.node !== this.channel.node) {
      this.channel.relocate();
      return;
    }
    if (this.heard !== undefined && ping.n !== this.heard) this.copies.dropAll();
    this.heard = ping.n;
    this.lease.pinged(ping.renewal);
  }

  private announced(message: string): void {
    const split = numbered(message);
    if (split === undefined) return;
    const [payload, n] = split;
    // Announcements arrive in order: one skipped was missed.
    if (this.heard !== undefined && n !== this.heard + 1) this.copies.dropAll();
    this.heard = n;
    const announcement = parseAnnouncement(payload);
    if (announcement === undefined || announcement.a === this.id) return;
    if (announcement.k === null) this.copies.dropAll();
    else this.copies.drop(announcement.k);
    if (announcement.w === false) return;
    // Sent at once, not batched with the next commands (auto-pipelining waits a turn of the event
    // loop, and for the batch in flight): the announcer is waiting for it.
    const ack = new Command('publish', [
      this.names.acks(announcement.a),
      `${this.id}|${announcement.s}`,
    ]);
    void this.client.sendCommand(ack);
    ack.promise.catch(() => undefined);
  }
}
