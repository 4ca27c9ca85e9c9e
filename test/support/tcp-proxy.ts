import net from 'node:net';

/**
 * A TCP proxy in front of a server, that the test can partition: `drop()` makes it swallow every
 * byte in both directions while keeping the connections open (what a network partition looks
 * like to both ends: silence, not an error); `heal()` lets traffic through again. The connections
 * that lost bytes are closed on heal — TCP never delivers a stream with a hole in it, it times the
 * connection out — so the clients reconnect, as they would after a real partition. A server that
 * closes a connection during a partition (it restarted) is not heard of before the heal either.
 */
export class TcpProxy {
  private readonly connections = new Set<{
    client: net.Socket;
    upstream: net.Socket;
    lost: boolean;
  }>();
  private dropping = false;
  private holdMs = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Starts a proxy on a free loopback port to `targetPort`. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = net.createServer(client => {
      const upstream = net.connect(targetPort, targetHost);
      const connection = { client, upstream, lost: false };
      proxy.connections.add(connection);
      const forward = (from: net.Socket, to: net.Socket) =>
        from.on('data', (chunk: Buffer) => {
          if (proxy.dropping) connection.lost = true;
          else to.write(chunk);
        });
      forward(client, upstream);
      forward(upstream, client);
      if (proxy.holdMs > 0) {
        // A server slow to take a new connection: what the client sends waits, unread.
        client.pause();
        setTimeout(() => client.resume(), proxy.holdMs).unref();
      }
      const close = () => {
        proxy.connections.delete(connection);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      // During a partition the client hears nothing, not even that the server went away (a
      // restart): it learns of it when the partition heals, as the connections that lost bytes do.
      const upstreamGone = () => {
        if (!proxy.dropping) return close();
        connection.lost = true;
        upstream.destroy();
      };
      upstream.on('error', upstreamGone).on('close', upstreamGone);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections open through it now. */
  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * Holds what each connection made from now on sends for `ms` before passing it on (0: no
   * more): a server slow to answer new connections, while the open ones go on as they were.
   */
  holdNewConnections(ms: number): void {
    this.holdMs = ms;
  }

  /** Swallows all traffic from now on. */
  drop(): void {
    this.dropping = true;
  }

  /** Lets traffic through again; connections that lost bytes are closed. */
  heal(): void {
    this.dropping = false;
    for (const connection of this.connections) {
      if (!connection.lost) continue;
      connection.client.destroy();
      connection.upstream.destroy();
      this.connections.delete(connection);
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.connections) {
      client.destroy();
      upstream.destroy();
    }
    this.connections.clear();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
