import { Cluster, type Redis } from 'ioredis';

/**
 * A dedicated subscriber connection (a duplicate of the command client): the near cache's
 * channels are heard on it. It says when it is lost (closed, reconnecting), because messages
 * published meanwhile are gone for good; ioredis subscribes again when it reconnects.
 */
export class NearChannel {
  private readonly handlers = new Map<string, (message: string) => void>();
  private readonly subscriber: Redis | Cluster;
  private closed = false;

  constructor(
    client: Redis | Cluster,
    private readonly onLost: () => void,
    onReady: () => void = () => undefined,
  ) {
    // Subscriptions may be sent before the connection is up: they are queued until it is.
    const own = { enableOfflineQueue: true, lazyConnect: false };
    this.subscriber =
      client instanceof Cluster ? client.duplicate(undefined, own) : client.duplicate(own);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('close', () => {
      if (!this.closed) this.onLost();
    });
    this.subscriber.on('ready', () => {
      if (this.closed) return;
      // ioredis subscribes again only to channels it had subscribed: one whose SUBSCRIBE failed
      // (Redis down at startup) is asked again here. SUBSCRIBE is idempotent.
      if (this.handlers.size > 0) {
        this.subscriber.subscribe(...this.handlers.keys()).catch(() => undefined);
      }
      onReady();
    });
    this.subscriber.on('message', (channel: string, message: string) =>
      this.handlers.get(channel)?.(message),
    );
  }

  /** Hears `channel` from now on. Resolves once Redis confirmed the subscription. */
  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    this.handlers.set(channel, handler);
    await this.subscriber.subscribe(channel);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    try {
      await this.subscriber.quit();
    } catch {
      this.subscriber.disconnect();
    }
  }
}
