import { Cluster, type ClusterNode, type Redis } from 'ioredis';
import { once } from 'node:events';
import { connect } from 'node:net';
import { StoreTimeoutError } from '../errors.js';

/**
 * What the circuit breaker says about its store in warnings: which store it is, and why a call
 * failed. Without it a warning can only repeat the client's last words, such as "Stream isn't
 * writeable and enableOfflineQueue options is false", which names neither the server nor the cause.
 */
export interface StoreDiagnostics {
  /** The store, for people: `redis://127.0.0.1:6379`, passwords masked. */
  readonly name: string;
  /** Why `error` happened: `connect ECONNREFUSED 127.0.0.1:6379`, an auth failure, a timeout. */
  explain(error: unknown): string;
}

/** Diagnostics of a store of your own: its class name, and the error's message. */
export function customStoreDiagnostics(store: object): StoreDiagnostics {
  const name = store.constructor?.name;
  return {
    name: name && name !== 'Object' ? name : 'custom store',
    explain: describeCause,
  };
}

/** How long the startup probe of a Cluster node waits for a TCP connection (ms). */
const PROBE_TIMEOUT_MS = 1_000;

/** Errors of ioredis that only say the client is not connected, not why. */
const NOT_CONNECTED =
  /^(Stream isn't writeable|Cluster isn't ready|Connection is closed|None of startup nodes is available)/;

/**
 * Watches a Redis client's connection so that warnings can name the cause of an outage: a command
 * refused while disconnected fails with a generic message, while the reason (refused, timed out,
 * wrong password) came earlier as an `error` event of the client.
 */
export class RedisDiagnostics implements StoreDiagnostics {
  readonly name: string;
  /** The client's last connection error in a few words; forgotten once it is ready again. */
  private lastCause: string | undefined;

  /**
   * @param client the client to watch, named by {@link describeRedis}.
   * @param listen whether to listen to its `error` events. Listening is what makes ioredis stop
   *   printing them itself, so a client lent by the application is listened to only when the
   *   application listens already.
   */
  constructor(
    private readonly client: Redis | Cluster,
    listen = true,
  ) {
    this.name = describeRedis(client);
    if (!listen) return;
    client.on('error', (error: Error) => (this.lastCause = describeCause(error)));
    // A Cluster reports the errors of its node connections apart, with the node's address.
    client.on('node error', (error: Error, address: string) => {
      this.lastCause = `${address}: ${describeCause(error)}`;
    });
    client.on('ready', () => (this.lastCause = undefined));
  }

  explain(error: unknown): string {
    const notConnected = error instanceof Error && NOT_CONNECTED.test(error.message);
    const generic = notConnected || error instanceof StoreTimeoutError;
    if (generic && this.lastCause !== undefined) return this.lastCause;
    return notConnected ? `not connected (${this.client.status})` : describeCause(error);
  }

  /** Why the client is not connected yet, at startup. */
  async explainStartup(waitedMs: number): Promise<string> {
    // A Cluster closes its node connections before their errors surface, and reports only
    // "Connection is closed.": a plain TCP connection to each startup node finds out why.
    if (this.client instanceof Cluster) {
      const causes = await Promise.all(startupNodesOf(this.client).map(tcpProbe));
      const found = causes.filter(cause => cause !== undefined);
      if (found.length > 0) return `no startup node answered: ${found.join('; ')}`;
    }
    return this.lastCause ?? `timeout: not ready within ${waitedMs} ms (${this.client.status})`;
  }
}

/**
 * The cause of a failure in a few words: the system error (`connect ECONNREFUSED 127.0.0.1:6379`,
 * `getaddrinfo ENOTFOUND redis`), an authentication failure (`WRONGPASS`, `NOAUTH`), or a timeout.
 */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lastNodeError = (error as { lastNodeError?: unknown }).lastNodeError;
  if (error.name === 'ClusterAllFailedError' && lastNodeError instanceof Error) {
    return `no startup node answered, the last one: ${describeCause(lastNodeError)}`;
  }
  if (/^(WRONGPASS|NOAUTH)\b/.test(error.message)) {
    return `authentication failed: ${error.message}`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (
    error instanceof StoreTimeoutError ||
    code === 'ETIMEDOUT' ||
    /timed? ?out/i.test(error.message)
  ) {
    return `timeout: ${error.message}`;
  }
  return error.message || error.name;
}

/**
 * Names the Redis deployment a client talks to, credentials masked: a URL for a server
 * (`redis://:****@10.0.0.5:6379/2`), `Redis Cluster host:port,host:port` (its startup nodes) for a
 * Cluster.
 */
export function describeRedis(client: Redis | Cluster): string {
  if (client instanceof Cluster) return `Redis Cluster ${startupNodesOf(client).join(',')}`;
  const options = client.options;
  if (options.path) return `redis+unix://${options.path}`;
  const scheme = options.tls ? 'rediss' : 'redis';
  const user = options.username ?? '';
  const auth = options.password ? `${user}:****@` : user ? `${user}@` : '';
  const host = options.host ?? 'localhost';
  const db = options.db ? `/${options.db}` : '';
  return `${scheme}://${auth}${host.includes(':') ? `[${host}]` : host}:${options.port ?? 6379}${db}`;
}

/** The startup nodes of a Cluster client as `host:port` (not in ioredis' public types). */
function startupNodesOf(cluster: Cluster): string[] {
  const nodes = (cluster as unknown as { startupNodes?: ClusterNode[] }).startupNodes ?? [];
  return nodes.map(hostPort);
}

function hostPort(node: ClusterNode): string {
  if (typeof node === 'number') return `127.0.0.1:${node}`;
  if (typeof node === 'string') return /^\d+$/.test(node) ? `127.0.0.1:${node}` : node;
  return `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}`;
}

/** Opens (and closes) a TCP connection to `host:port`. @returns why it failed, if it did. */
async function tcpProbe(address: string): Promise<string | undefined> {
  const cut = address.lastIndexOf(':');
  const host = address.slice(0, cut).replace(/^\[(.*)\]$/, '$1');
  const socket = connect({ host, port: Number(address.slice(cut + 1)) });
  try {
    await once(socket, 'connect', { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return undefined;
  } catch (error) {
    if ((error as Error).name !== 'AbortError') return describeCause(error);
    return `timeout: no TCP connection to ${address} within ${PROBE_TIMEOUT_MS} ms`;
  } finally {
    socket.destroy();
  }
}
