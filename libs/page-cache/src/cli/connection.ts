import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { clusterMasters } from '../stores/cluster-slots.js';
import { redactUrl } from './format.js';

/** How long one command may take once connected (a SCAN page, an UNLINK batch, INFO). */
export const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Where to connect: a `redis://` or `rediss://` URL, or the comma-separated `host:port` startup
 * nodes of a Cluster (the URL then only gives credentials and TLS); and the connect timeout.
 */
type RedisTarget = { url?: string; cluster?: string; timeoutMs: number };

/** An open connection of the command-line tool. */
export type Connection = Awaited<ReturnType<typeof connect>>;

/** Redis could not be reached, or did not become ready in time. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/**
 * Connects with fail-fast settings: no reconnection and no offline queue, so an unreachable
 * server is reported at once (or after `timeoutMs`) instead of hanging the command.
 */
export async function connect(target: RedisTarget) {
  const client = createClient(target);
  // What we are connected to, credentials masked, for messages.
  const description =
    client instanceof Cluster ? `Redis Cluster ${target.cluster}` : redactUrl(target.url!);
  await open(client, description, target.timeoutMs);
  return {
    /** Lent to the cache; commands on one key go through it (routed by slot on a Cluster). */
    client,
    isCluster: client instanceof Cluster,
    description,
    /**
     * The servers that hold keys: the client itself, or every master of the Cluster (checked to
     * serve every slot between them, so a scan never skips keys silently).
     */
    servers: (): Redis[] => (client instanceof Cluster ? clusterMasters(client) : [client]),
    // Every command has been answered by then, so there is nothing for QUIT to flush; and a QUIT
    // sent to a server that stopped answering would wait for the command timeout.
    close: () => client.disconnect(),
  };
}

function createClient({ url, cluster, timeoutMs }: RedisTarget): Redis | Cluster {
  if (url !== undefined && !(URL.canParse(url) && /^rediss?:$/.test(new URL(url).protocol))) {
    throw new ConnectionError(
      `Invalid Redis URL: ${JSON.stringify(redactUrl(url))}. Expected redis://host:port[/db] or rediss://…`,
    );
  }
  const failFast: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // A server that hangs never closes its end: do not wait the default 2 s for it on exit.
    disconnectTimeout: 100,
  };
  if (cluster === undefined) return new Redis(url!, { ...failFast, retryStrategy: () => null });
  // The URL gives every node its username, password and TLS.
  const { username, password, protocol } = new URL(url ?? 'redis://');
  return new Cluster(parseNodes(cluster), {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    slotsRefreshTimeout: timeoutMs,
    redisOptions: {
      ...failFast,
      ...(username ? { username: decodeURIComponent(username) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
      ...(protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}

/** Connects, bounded by `timeoutMs` (TCP connection and ready check together). */
async function open(client: Redis | Cluster, description: string, timeoutMs: number) {
  let lastError: Error | undefined;
  // Without a listener ioredis prints connection errors itself; we report them once, below.
  client.on('error', (error: Error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
  } catch (error) {
    client.disconnect();
    const reason = lastError?.message || (error as Error).message;
    throw new ConnectionError(`Cannot connect to Redis at ${description}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}

/** `host:port,host:port` (a bare port means 127.0.0.1). */
export function parseNodes(list: string): ClusterNode[] {
  const items = list.split(',').map(item => item.trim());
  if (!items.some(Boolean)) throw new ConnectionError('--cluster needs at least one host:port.');
  return items.filter(Boolean).map(item => {
    const match = /^(?:(.+):)?(\d{1,5})$/.exec(item);
    if (!match) {
      throw new ConnectionError(
        `Invalid Cluster node: ${JSON.stringify(item)}. Expected host:port (e.g. 10.0.0.1:7000).`,
      );
    }
    return { host: match[1] ?? '127.0.0.1', port: Number(match[2]) };
  });
}
