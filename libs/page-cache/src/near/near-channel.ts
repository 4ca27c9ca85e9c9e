import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import { Backoff } from '../backoff.js';
import { keySlot } from '../stores/cluster-slots.js';

/** What every subscriber connection is opened with: ours to connect, and never reconnected. */
const OWN: Partial<RedisOptions> = {
  lazyConnect: true,
  enableOfflineQueue: true,
  retryStrategy: () => null,
  autoResubscribe: false,
  enableAutoPipelining: false,
};

/**
 * A dedicated subscriber connection on which the near cache's channels are heard, and the server
 * it hears them from. On a standalone Redis it is a duplicate of the command client; on a Cluster,
 * a connection to the master of `home`'s slot — the node on which the near scripts run and
 * publish — so that messages come straight from the node that publishes them, never relayed by
 * the cluster bus (a link of the bus that breaks loses what it carried, and later messages come
 * through as if nothing was lost).
 *
 * A connection is never reconnected: when it closes, `onLost` is called (what was published
 * meanwhile is gone for good) and a new one is opened, to whichever node is `home`'s master then;
 * `onReady` once its subscriptions are confirmed. {@link node} is the `run_id` of the server it is
 * subscribed on ('' when the server refuses `INFO`), which a ping compares with the server that
 * published it; {@link relocate} starts over on the right one.
 */
export class NearChannel {
  private readonly handlers = new Map<string, (message: string) => void>();
  private connection: Redis | undefined;
  private subscribedOn: string | undefined;
  /** Calls waiting for the connection being opened: told whether it subscribed. */
  private waiters: ((subscribed: boolean) => void)[] = [];
  private readonly backoff = new Backoff(50, 1_000);
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly onLost: () => void,
    private readonly onReady: () => void = () => undefined,
    /** A key whose master's messages are heard (on a Cluster); any node when not given. */
    private readonly home?: string,
  ) {
    void this.open();
  }

  /** The `run_id` of the server heard ('' if it refuses `INFO`); `undefined` while not subscribed. */
  get node(): string | undefined {
    return this.subscribedOn;
  }

  /**
   * Hears `channel` from now on, on this connection and the next ones. Resolves once a connection
   * confirmed the subscription; rejects when the connection being opened failed (a later one
   * subscribes to it all the same).
   */
  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    this.handlers.set(channel, handler);
    const connection = this.connection;
    if (connection === undefined || this.subscribedOn === undefined) {
      const subscribed = await new Promise<boolean>(resolve => this.waiters.push(resolve));
      if (!subscribed) throw new Error(`not subscribed to ${channel}: no connection`);
      // Subscribed with the rest if it was registered before the connection subscribed, else
      // below (SUBSCRIBE is idempotent).
    }
    await this.connection?.subscribe(channel);
  }

  /** Hears its channels on another connection (the server heard is not the one that publishes). */
  relocate(): void {
    if (this.subscribedOn === undefined) return;
    this.connection?.disconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.handlers.clear();
    const connection = this.connection;
    this.connection = undefined;
    this.subscribedOn = undefined;
    this.settle(false);
    try {
      await connection?.quit();
    } catch {
      connection?.disconnect();
    }
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    const connection = this.duplicate();
    if (connection === undefined) {
      this.settle(false);
      return this.later();
    }
    this.connection = connection;
    connection.on('error', () => undefined);
    connection.on('message', (channel: string, message: string) =>
      this.handlers.get(channel)?.(message),
    );
    connection.once('close', () => this.ended(connection));
    try {
      await connection.connect();
      const node = await connection.info('server').then(runIdOf, () => '');
      if (this.handlers.size > 0) await connection.subscribe(...this.handlers.keys());
      if (this.connection !== connection) return;
      this.subscribedOn = node;
      this.backoff.succeeded();
      this.settle(true);
      this.onReady();
    } catch {
      this.ended(connection);
      connection.disconnect();
    }
  }

  /** `connection` closed, or could not be made: said once; another is opened. */
  private ended(connection: Redis): void {
    if (this.connection !== connection) return;
    const wasSubscribed = this.subscribedOn !== undefined;
    this.connection = undefined;
    this.subscribedOn = undefined;
    if (this.closed) return;
    if (wasSubscribed) this.onLost();
    this.settle(false);
    this.later();
  }

  private settle(subscribed: boolean): void {
    for (const waiter of this.waiters.splice(0)) waiter(subscribed);
  }

  private later(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    const delay = this.backoff.delayMs;
    this.backoff.failed();
    this.retry = setTimeout(() => void this.open(), delay);
    this.retry.unref();
  }

  /** A new connection to the server to hear, or `undefined` when it is not known yet. */
  private duplicate(): Redis | undefined {
    const client = this.client;
    if (!(client instanceof Cluster)) return client.duplicate(OWN);
    if (this.home === undefined) return client.nodes('master')[0]?.duplicate(OWN);
    const address = client.slots[keySlot(this.home)]?.[0];
    const master = client
      .nodes('master')
      .find(node => `${node.options.host}:${node.options.port}` === address);
    // Not known, or known by an address it has no connection for: read the slots again first.
    if (master === undefined) client.refreshSlotsCache();
    return master?.duplicate(OWN);
  }
}

function runIdOf(info: string): string {
  return /^run_id:([0-9a-f]+)\s*$/m.exec(info)?.[1] ?? '';
}
