import { Logger } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { driftMargin } from './lease-clock.js';
import { NearChannel } from './near-channel.js';
import type { NearAnnouncement, NearNames } from './near-names.js';
import type { AnnounceReply, NearClient } from './near-scripts.js';

/** Longest an announcement waits for the acknowledgement channel's subscription (ms). */
const SUBSCRIBE_WAIT_MS = 1_000;

/** The lease of `near: true`; what a process without `near` assumes of the others (ms). */
export const DEFAULT_LEASE_MS = 2_000;

/** Most keys {@link NearAnnouncer.deleteAndAnnounce} deletes in one script: more go in two steps. */
const MAX_DELETED = 1_000;

/** Most members of an index set whose entries the announcement script deletes: more, the caller. */
const MAX_INDEXED = 1_000;

/** Runs a command under the store's timeout and breaker. */
export type StoreCall = <T>(command: () => Promise<T>) => Promise<T>;

/** What {@link NearAnnouncer.deleteAndAnnounce} deletes besides its keys, and how. */
export interface Deletion {
  /** Runs the script call (the store's timeout and breaker). */
  call: StoreCall;
  /** Index sets whose entries are deleted too (each of at most {@link MAX_INDEXED} members). */
  indexes?: readonly string[];
}

/** An announcement published: what its script deleted, and the wait for the holders. */
export interface Announced {
  /** How many of the keys existed. */
  deleted: number;
  /** How many entries of the index sets existed, and which were read. */
  removed: number;
  entries: string[];
  /** Per index set: whether its entries were deleted (else it is larger, left to the caller). */
  done: boolean[];
  /** Resolves once every live holder acknowledged or its lease ran out (at once: none waited). */
  acknowledged: Promise<void>;
}

/** A holder that was live when an invalidation was announced. */
export interface NearHolder {
  id: string;
  /** How long its lease still ran, in Redis time, when the announcement was made (ms). */
  expiresInMs: number;
}

/** How long invalidations waited for holders' acknowledgements. */
export interface InvalidationWaits {
  /** Announcements that found at least one live holder, and so waited. */
  count: number;
  /** Longest wait (ms). */
  maxMs: number;
}

/**
 * Announces what a write changed, and waits until every holder that was live then has dropped
 * its copies: one script call publishes the announcement and returns the live holders (score >
 * Redis now) with their expiries; each is then waited for until it acknowledges on this
 * announcer's ack channel, or until its lease has expired (converted to local time from the reply,
 * plus the drift margin): a holder that cannot hear the channel stops serving copies by then.
 * Processes without near copies announce too — otherwise a write there would leave stale copies
 * elsewhere. An announcement that finds no live holder returns at once (one `EVALSHA`), except in
 * a registry's first lease after it lost its state (a restart, a failover) when this process saw
 * leases before: those are unknown to it now, so it waits until that lease is over (Gray &
 * Cheriton's rule; Chubby's grace period).
 */
export class NearAnnouncer {
  private sequence = 0;
  /** Acknowledgements per announcement in flight (they may arrive before the script's reply). */
  private readonly acks = new Map<number, { from: Set<string>; heard: () => void }>();
  private subscribed: Promise<void> | undefined;
  /** The acknowledgement channel's subscription was confirmed (no wait for it any more). */
  private isSubscribed = false;
  /** The subscriber this announcer made itself (in a process that keeps no copies). */
  private own: NearChannel | undefined;
  readonly waits: InvalidationWaits = { count: 0, maxMs: 0 };
  private warned = false;
  /** Redis runs the announcement script with keys to delete (not refused yet). */
  private deletes = true;
  private readonly isCluster: boolean;
  /** The longest lease known to be in use on this namespace: own, or seen registered (ms). */
  private longestLeaseMs: number;
  /** When the registry's life in which this process first saw a lease registered began. */
  private nearSeenIn: number | undefined;

  /**
   * @param leaseMs this process's lease ({@link DEFAULT_LEASE_MS} without near copies): the
   *   shortest a registry that lost its state waits before a write resolves.
   * @param channel the holder's subscriber, on which acknowledgements are heard too; without one
   *   (no near copies here), the announcer makes its own when it first announces.
   */
  constructor(
    private readonly client: NearClient,
    private readonly names: NearNames,
    readonly id: string,
    leaseMs: number,
    private readonly channel?: NearChannel,
    /** When the life this process's own lease was first registered in began (with near). */
    private readonly ownLife?: () => number | undefined,
  ) {
    this.longestLeaseMs = leaseMs;
    this.isCluster =
      client instanceof Cluster || (client as { isCluster?: boolean }).isCluster === true;
  }

  /** Closes the subscriber this announcer made, if any. */
  async close(): Promise<void> {
    await this.own?.close();
  }

  private subscriber(): NearChannel {
    if (this.channel) return this.channel;
    // Lost acknowledgements only make a wait last until the holders' leases expire.
    this.own ??= new NearChannel(this.client, () => undefined, undefined, this.names.holders);
    return this.own;
  }

  /**
   * Announces that `keys` (`null`: everything) changed in Redis, and resolves once every live
   * holder dropped its copies or its lease ran out — or, with `wait` false, once the announcement
   * is published (for keys whose copies nothing may serve any more). Rejects when Redis could not
   * be asked.
   */
  async announce(keys: readonly string[] | null, wait = true): Promise<void> {
    await (
      await this.send(keys, wait)
    )?.acknowledged;
  }

  /**
   * Whether {@link deleteAndAnnounce} can delete `keys`: on a standalone Redis (on a Cluster they
   * are in other slots than the registry), not too many, not refused by Redis.
   */
  canDelete(keys: readonly string[]): boolean {
    return this.deletes && keys.length <= MAX_DELETED && !this.isCluster;
  }

  /**
   * Deletes `keys` (and the entries of `deletion.indexes`) and announces them in one script call:
   * the announcement is published once they are gone. Resolves once it is applied, with what it
   * deleted and the wait for the holders (as {@link announce}'s); `undefined` when Redis refuses
   * the script: nothing was deleted (delete, then {@link announce}). Rejects, its outcome
   * unknown, when Redis could not be asked.
   */
  deleteAndAnnounce(
    keys: readonly string[],
    wait: boolean,
    deletion: Deletion,
  ): Promise<Announced | undefined> {
    return this.send(keys, wait, deletion);
  }

  /** The one script call that publishes an announcement (making `deletion` first). */
  private async send(
    keys: readonly string[] | null,
    wait: boolean,
    deletion?: Deletion,
  ): Promise<Announced | undefined> {
    if (!this.isSubscribed) {
      this.subscribed ??= this.subscriber()
        .subscribe(this.names.acks(this.id), message => this.heard(message))
        .then(() => {
          this.isSubscribed = true;
        })
        .catch(() => {
          this.subscribed = undefined;
        });
      // Bounded: without the subscription acknowledgements are lost, and holders are waited for
      // until their leases expire (slower, never wrong).
      await Promise.race([this.subscribed, sleep(SUBSCRIBE_WAIT_MS, undefined, { ref: false })]);
    }
    const sequence = ++this.sequence;
    this.acks.set(sequence, { from: new Set(), heard: () => undefined });
    let reply: AnnounceReply;
    try {
      // Not waited for: holders drop their copies and do not acknowledge.
      const message: NearAnnouncement = wait
        ? { a: this.id, s: sequence, k: keys && [...keys] }
        : { a: this.id, s: sequence, k: keys && [...keys], w: false };
      const { holders, life, invalidations } = this.names;
      if (deletion === undefined || keys === null) {
        reply = await this.client.pcNearAnnounce(
          holders,
          life,
          invalidations,
          JSON.stringify(message),
        );
      } else {
        const indexes = deletion.indexes ?? [];
        reply = await deletion.call(() =>
          this.client.pcNearDeleteAnnounce(
            2 + keys.length + indexes.length,
            holders,
            life,
            ...keys,
            ...indexes,
            invalidations,
            JSON.stringify(message),
            indexes.length,
            MAX_INDEXED,
          ),
        );
      }
    } catch (error) {
      this.acks.delete(sequence);
      if (!isRefusal(error)) throw error;
      // Refused with keys to delete (nothing deleted): the caller deletes, then announces, and
      // that announcement says the refusal.
      if (deletion) {
        this.deletes = false;
        return undefined;
      }
      // Redis refuses the script (an ACL without EVALSHA or PUBLISH): a holder needs them too
      // to renew its lease, so none can be live on this connection's terms. Said once.
      this.refused(error as Error);
      return undefined;
    }
    const [now, live, since, registeredLeaseMs, deleted, removed, entries, done, refusal] = reply;
    const made = { deleted, removed, entries, done: done.map(flag => flag === 1) };
    if (typeof refusal === 'string') {
      this.acks.delete(sequence);
      this.refused(Object.assign(new Error(refusal), { name: 'ReplyError' }));
      return { ...made, acknowledged: Promise.resolve() };
    }
    const holders: NearHolder[] = [];
    for (let i = 0; i < live.length; i += 2) {
      // This process drops its own copies itself.
      if (live[i] !== this.id)
        holders.push({ id: live[i], expiresInMs: Number(live[i + 1]) - now });
    }
    // Its own lease first: registered in an earlier life even if this is its first write.
    this.nearSeenIn ??= this.ownLife?.();
    if (live.length > 0 || registeredLeaseMs > 0) this.nearSeenIn ??= since;
    this.longestLeaseMs = Math.max(this.longestLeaseMs, registeredLeaseMs);
    // Leases were granted in an earlier life (this process saw them): one may still run, at
    // most a lease past the start of this one. A namespace first used in this life waits not.
    const earlier = this.nearSeenIn !== undefined && this.nearSeenIn !== since;
    const graceMs = earlier ? since + this.longestLeaseMs - now : 0;
    if (!wait || (holders.length === 0 && graceMs <= 0)) {
      this.acks.delete(sequence);
      return { ...made, acknowledged: Promise.resolve() };
    }
    const started = performance.now();
    const acknowledged = this.awaitAcks(sequence, holders, graceMs).then(() => {
      this.acks.delete(sequence);
      const waited = performance.now() - started;
      this.waits.count++;
      this.waits.maxMs = Math.max(this.waits.maxMs, Math.round(waited));
    });
    return { ...made, acknowledged };
  }

  /**
   * Announces `keys` again a lease from now, waiting for no one: for a write whose outcome is not
   * known (it failed, but may still be applied). A write applied later than that is not covered.
   */
  announceLater(keys: readonly string[] | null): void {
    const timer = setTimeout(() => {
      this.announce(keys, false).catch(() => undefined);
    }, this.longestLeaseMs);
    timer.unref();
  }

  /**
   * Resolves once each of `holders` acknowledged announcement `sequence`, or its lease expired,
   * and `graceMs` (in Redis time, from the announcement; <= 0: none) has passed: the rest of the
   * first lease of a registry that lost its state, during which holders it has no record of may
   * still serve copies. The one place an invalidation waits.
   */
  awaitAcks(sequence: number, holders: readonly NearHolder[], graceMs = 0): Promise<void> {
    const state = this.acks.get(sequence);
    if (state === undefined) return Promise.resolve();
    const waiting = new Set(holders.map(holder => holder.id).filter(id => !state.from.has(id)));
    const grace = graceMs > 0 ? '' : undefined;
    if (grace !== undefined) waiting.add(grace);
    if (waiting.size === 0) return Promise.resolve();
    return new Promise<void>(resolve => {
      const timers: NodeJS.Timeout[] = [];
      const settle = (id: string) => {
        waiting.delete(id);
        if (waiting.size > 0) return;
        for (const timer of timers) clearTimeout(timer);
        resolve();
      };
      state.heard = () => {
        for (const id of state.from) settle(id);
      };
      for (const holder of holders) {
        if (!waiting.has(holder.id)) continue;
        const expiresIn = Math.max(0, holder.expiresInMs);
        timers.push(setTimeout(() => settle(holder.id), expiresIn + driftMargin(expiresIn)));
      }
      if (grace !== undefined) {
        const margin = driftMargin(this.longestLeaseMs);
        timers.push(setTimeout(() => settle(grace), graceMs + margin));
      }
    });
  }

  private refused(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    new Logger('CacheStore').warn(
      `Near cache announcements refused by Redis (${error.message}): writes here are not announced, so a process ` +
        'with `near` that can renew its lease would keep its copies for up to a lease after them. Allow EVALSHA and PUBLISH to this user.',
    );
  }

  /** An acknowledgement: `{holder}|{sequence}`. */
  private heard(message: string): void {
    const bar = message.lastIndexOf('|');
    const state = this.acks.get(Number(message.slice(bar + 1)));
    if (state === undefined) return;
    state.from.add(message.slice(0, bar));
    state.heard();
  }
}

/**
 * Redis refusing the script for good (permissions, a disabled command), as opposed to a failure
 * that says nothing of the holders (a connection lost, a busy server): those reject the write.
 */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ReplyError' &&
    /NOPERM|unknown command|unknown redis command|can't run this command/i.test(error.message)
  );
}
