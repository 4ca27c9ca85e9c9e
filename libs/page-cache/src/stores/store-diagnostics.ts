import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { connect } from 'node:net';
import type { RedisClusterConfig } from '../interfaces/cache-module-options.interface.js';
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

/** Errors of ioredis that only say the client is not connected, not why. */
const NOT_CONNECTED =
  /^(Stream isn't writeable|Cluster isn't ready|Connection is closed|None of startup nodes is available)/;

/**
 * Watches a Redis client's connection so that warnings can name the cause of an outage: a command
 * refused while disconnected fails with a generic message, while the reason (refused, timed out,
 * wrong password) came earlier as an `error` event of the client.
 */
export class RedisDiagnostics implements StoreDiagnostics {
  private lastError: Error | undefined;

  /**
   * @param client the client to watch.
   * @param name how to call it, from {@link describeRedis}.
   * @param listen whether to listen to its `error` events. Listening is what makes ioredis stop
   *   printing them itself, so a client lent by the application is listened to only when the
   *   application listens already.
   */
  constructor(
    private readonly client: Redis | Cluster,
    readonly name: string,
    listen = true,
  ) {
    if (!listen) return;
    client.on('error', (error: Error) => (this.lastError = error));
    // A Cluster reports the errors of its node connections apart, with the node's address.
    client.on('node error', (error: Error, address: string) => {
      this.lastError = new Error(`${address}: ${describeCause(error)}`);
    });
    client.on('ready', () => (this.lastError = undefined));
  }

  explain(error: unknown): string {
    const generic =
      error instanceof StoreTimeoutError ||
      (error instanceof Error && NOT_CONNECTED.test(error.message));
    if (generic && this.lastError !== undefined) return describeCause(this.lastError);
    if (error instanceof Error && NOT_CONNECTED.test(error.message)) {
      return `not connected (${this.client.status})`;
    }
    return describeCause(error);
  }

  /** Why the client is not connected yet, at startup. */
  async explainStartup(waitedMs: number): Promise<string> {
    const error = this.lastError;
    if (error === undefined)
      return `timeout: not ready within ${waitedMs} ms (${this.client.status})`;
    // A Cluster closes its node connections before their errors surface, and reports only
    // "Connection is closed.": a plain TCP connection to each startup node finds out why.
    if (this.client instanceof Cluster && error.name === 'ClusterAllFailedError') {
      const causes = await Promise.all(startupNodesOf(this.client).map(node => tcpProbe(node)));
      const found = causes.filter(cause => cause !== undefined);
      if (found.length > 0) return `no startup node answered: ${found.join('; ')}`;
    }
    return describeCause(error);
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

/** A `redis://` URL with its password masked (`redis://user:****@host:6379/0`). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Names the Redis deployment the `redis` option (or a client) points at, credentials masked: a
 * URL for a server, `Redis Cluster host:port,host:port` (the startup nodes) for a Cluster.
 */
export function describeRedis(
  redis: string | RedisOptions | RedisClusterConfig | Redis | Cluster,
): string {
  if (typeof redis === 'string') return redactRedisUrl(redis);
  if (redis instanceof Cluster) return describeCluster(startupNodesOf(redis));
  if (redis instanceof Redis) return describeOptions(redis.options);
  if ('cluster' in redis) return describeCluster(redis.cluster);
  return describeOptions(redis);
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

function describeCluster(nodes: readonly ClusterNode[]): string {
  return `Redis Cluster ${nodes.map(hostPort).join(',')}`;
}

/** Opens (and closes) a TCP connection to `host:port`. @returns why it failed, if it did. */
function tcpProbe(address: string, timeoutMs = 1_000): Promise<string | undefined> {
  const cut = address.lastIndexOf(':');
  const host = address.slice(0, cut).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(cut + 1));
  return new Promise(resolve => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`timeout: no TCP connection to ${address} within ${timeoutMs} ms`);
    });
    socket.once('error', error => resolve(describeCause(error)));
  });
}

function describeOptions(options: RedisOptions): string {
  if (options.path) return `redis+unix://${options.path}`;
  const scheme = options.tls ? 'rediss' : 'redis';
  const user = options.username ?? '';
  const auth = options.password ? `${user}:****@` : user ? `${user}@` : '';
  const host = options.host ?? 'localhost';
  const db = options.db ? `/${options.db}` : '';
  return `${scheme}://${auth}${host.includes(':') ? `[${host}]` : host}:${options.port ?? 6379}${db}`;
}
