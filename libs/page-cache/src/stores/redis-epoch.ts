import { Cluster, type Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../backoff.js';
import { digest } from '../keys.js';
import { EpochRecord } from './epoch-record.js';

/** How long to wait before asking again when a server did not say who it is (ms), at most. */
const RETRY_MS = 1_000;
/**
 * How often a known epoch is checked again (ms): a master demoted in place (`REPLICAOF` sent by a
 * script; Sentinel closes the connections itself) resyncs from another server without closing
 * the connection, so only asking again shows its new replication id.
 */
export const EPOCH_CHECK_MS = 250;

/**
 * Which life of the Redis data this client is talking to, for `CacheStore.epoch`: a digest of the
 * role, `run_id` and replication id of the server (of every master, on a Cluster), so that a Redis
 * restarted from its snapshot, promoted or resynced is a new epoch in which no older token looks
 * current (the README's "Restarts and failovers" tells the whole story). It is forgotten on every
 * `close` and Cluster failover redirect, asked again on `ready`, and checked every
 * {@link EPOCH_CHECK_MS}; `serial` counts the losses, so that a read sent before one and answered
 * after it is discarded. Servers that refuse `INFO` get a random epoch stored with `SET NX`
 * instead, which does not detect restarts; `onWarning` says so.
 * Each epoch is added to the {@link EpochRecord} at `recordKey` before it is used, so that an
 * invalidation can reach the processes that are not in the same epoch yet, or any more.
 */
export class RedisEpoch {
  private value: string | undefined;
  private refreshing = false;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** Soon at first (a Cluster learns its masters just after it is ready), then every second. */
  private readonly backoff = new Backoff(50, RETRY_MS);
  private readonly check: NodeJS.Timeout;
  /** `host:port` of the masters the current epoch was computed from (a Cluster's). */
  private readonly masters = new Set<string>();
  private waiters: (() => void)[] = [];
  /** The last epoch established (kept across losses): recorded as left when another is. */
  private last: string | undefined;
  private readonly record: EpochRecord;
  /** Closes of any connection to the servers since the start. */
  serial = 0;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly fallbackKey: string,
    recordKey: string,
    private readonly onWarning: (reason: string) => void = () => undefined,
  ) {
    this.record = new EpochRecord(client, recordKey, onWarning);
    const lost = (): void => this.lose();
    const found = (): void => void this.refresh();
    client.on('close', lost);
    client.on('ready', found);
    if (client instanceof Cluster) {
      // A master that restarts or fails over closes its own connection, not the cluster's.
      const watch = (node: Redis): void => {
        node.on('close', lost);
        node.on('ready', found);
      };
      for (const node of client.nodes('all')) watch(node);
      client.on('+node', watch);
      client.on('-node', () => {
        lost();
        found();
      });
      client.on('refresh', found);
      // ioredis follows a redirect by itself, at once: the slot has a new master, whose data may be
      // older. Forget the epoch before the command is sent again, so its answer is discarded.
      const masters = this.masters;
      const cluster = client as Cluster & {
        handleError?: (error: Error, ...rest: unknown[]) => void;
      };
      const handleError = cluster.handleError;
      if (typeof handleError === 'function') {
        cluster.handleError = function (this: Cluster, error: Error, ...rest: unknown[]) {
          // ASK only ever means a slot being migrated (the same data, moving); a MOVED to a node
          // that was a master already is the end of one. A MOVED to any other node is a new
          // master (a failover): its data may be older.
          const message = error?.message ?? '';
          if (message.startsWith('MOVED ')) {
            if (!masters.has(message.split(' ')[2] ?? '')) lost();
            found();
          }
          return handleError.call(this, error, ...rest);
        };
      }
    }
    this.check = setInterval(() => void this.verify(), EPOCH_CHECK_MS);
    this.check.unref();
    if (client.status === 'ready') void this.refresh();
  }

  /** The current epoch, `undefined` while it is not known. */
  current(): string | undefined {
    return this.value;
  }

  /**
   * The epochs other than the current one a process may still, or already, be in: those known
   * here now, and all of them as read from the record.
   */
  others(): { known: string[]; recorded: Promise<string[]> } {
    return { known: this.record.known(this.value), recorded: this.record.read(this.value) };
  }

  /** Resolves once the epoch is known, or after `timeoutMs` (whichever comes first). */
  ready(timeoutMs: number): Promise<void> {
    if (this.value !== undefined) return Promise.resolve();
    // A waiter the timeout left behind is called, to no effect, once the epoch is known.
    const known = new Promise<void>(resolve => this.waiters.push(resolve));
    return Promise.race([known, sleep(timeoutMs, undefined, { ref: false })]);
  }

  /** Stops retrying (the client is being closed). */
  stop(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.check);
  }

  /** Asks a known epoch again; a different answer is a new epoch (reads in flight discarded). */
  private async verify(): Promise<void> {
    if (this.value === undefined || this.refreshing || this.closed) return;
    if (this.client.status !== 'ready') return;
    const serial = this.serial;
    try {
      const id = await this.serverIds();
      if (serial !== this.serial || this.value === undefined) return;
      if (id !== this.value) {
        // Established again once recorded: until then nothing is served from either epoch.
        this.lose();
        void this.refresh();
      } else if (this.record.due(id)) {
        await this.record.add(id);
      }
    } catch {
      // Unreachable: the connection's own close (or the next check) says so.
    }
  }

  private lose(): void {
    this.serial++;
    this.value = undefined;
  }

  private async refresh(): Promise<void> {
    // Its own `ready` asks: a Cluster still connecting must not be sent commands by us (it
    // answers them by starting over).
    if (this.refreshing || this.closed || this.client.status !== 'ready') return;
    this.refreshing = true;
    clearTimeout(this.retry);
    const serial = this.serial;
    try {
      const id = await this.serverIds();
      // Recorded before any token of it is read or written (see `others`).
      if (this.record.due(id)) await this.record.add(id, this.last);
      // A connection closed while we asked: the answer may describe the server before it.
      if (serial === this.serial) {
        this.value = id;
        this.last = id;
        this.backoff.succeeded();
        for (const waiter of this.waiters.splice(0)) waiter();
      } else this.later();
    } catch {
      this.later();
    } finally {
      this.refreshing = false;
    }
  }

  private later(): void {
    if (this.closed) return;
    const delay = this.backoff.delayMs;
    this.backoff.failed();
    this.retry = setTimeout(() => void this.refresh(), delay);
    this.retry.unref();
  }

  /** A digest of the `run_id` of the server, or of every master of a Cluster. */
  private async serverIds(): Promise<string> {
    const servers = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    if (servers.length === 0) throw new Error('no master known yet');
    const addresses = servers.map(server => `${server.options.host}:${server.options.port}`);
    let ids: string[];
    try {
      ids = await Promise.all(
        servers.map(
          async server =>
            `${runIdOf(await server.info('server'))}/${replicationOf(await server.info('replication'))}`,
        ),
      );
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.onWarning(
        `the server refused INFO (${(error as Error).message}); a Redis restarted from its snapshot is not detected`,
      );
      return this.storedEpoch();
    }
    this.masters.clear();
    for (const address of addresses) this.masters.add(address);
    return digest(ids.sort().join(','), 12);
  }

  /** An epoch kept in the store itself: the same for every process, but restored with the data. */
  private async storedEpoch(): Promise<string> {
    const fresh = randomBytes(9).toString('base64url');
    await this.client.set(this.fallbackKey, fresh, 'NX');
    const stored = await this.client.get(this.fallbackKey);
    if (!stored) throw new Error('the stored epoch vanished');
    return stored;
  }
}

/** The role and replication id of a server (`INFO replication`). */
function replicationOf(info: string): string {
  const role = /^role:(\w+)\s*$/m.exec(info)?.[1] ?? '';
  const replid = /^master_replid:([0-9a-f]+)\s*$/m.exec(info)?.[1] ?? '';
  return `${role}/${replid}`;
}

function runIdOf(info: string): string {
  const match = /^run_id:([0-9a-f]+)\s*$/m.exec(info);
  if (!match) throw new Error('INFO server has no run_id');
  return match[1]!;
}

/** A reply error (the server answered, and said no), as opposed to a connection failure. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ReplyError' || /NOPERM|unknown command|no run_id/i.test(error.message))
  );
}
