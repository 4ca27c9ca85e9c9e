import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { rawCommands, REDIS_INSTALL_HINT, RedisServer } from './redis-server.js';

const HOST = '127.0.0.1';
const START_ATTEMPTS = 5;

export interface RedisClusterOptions {
  /** Number of masters (at least 3, as `redis-cli --cluster create` requires). Default 3. */
  masters?: number;
  /** Replicas per master. Default 0. */
  replicas?: number;
  /** Extra redis-server arguments for every node, e.g. `['--maxmemory', '2mb']`. */
  args?: string[];
  /** How long to wait for `cluster_state:ok` everywhere (ms). Default 20 s. */
  readyTimeoutMs?: number;
}

/** One line of `CLUSTER NODES`. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The id of its master, for a replica. */
  masterId?: string;
  failed: boolean;
  /** Slot ranges served, `[first, last]` inclusive (masters only). */
  slots: [number, number][];
}

/**
 * A real local Redis Cluster for tests: `redis-server` processes in cluster mode on free ports
 * (persistence off), joined by `redis-cli --cluster create`. Every node is a {@link RedisServer},
 * so a test can kill or pause one.
 */
export class RedisCluster {
  private constructor(readonly servers: RedisServer[]) {}

  /** Starts the nodes, creates the cluster, and resolves once every node reports `cluster_state:ok`. */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 0;
    if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
    const servers = await Promise.all(
      Array.from({ length: masters * (1 + replicas) }, () => startNode(options.args ?? [])),
    );
    const cluster = new RedisCluster(servers);
    try {
      await redisCli([
        '--cluster',
        'create',
        ...servers.map(server => `${HOST}:${server.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ]);
      await cluster.waitUntilHealthy(options.readyTimeoutMs ?? 20_000);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Startup nodes for ioredis' `Cluster`: `host:port` of every node. */
  get nodes(): string[] {
    return this.servers.map(server => `${HOST}:${server.port}`);
  }

  /** The nodes that are running now. */
  get running(): RedisServer[] {
    return this.servers.filter(server => server.running);
  }

  /** The node on `port`. */
  server(port: number): RedisServer {
    const server = this.servers.find(candidate => candidate.port === port);
    if (!server) throw new Error(`no node of this cluster listens on ${port}`);
    return server;
  }

  /** `CLUSTER NODES` as seen by a running node that is not paused. */
  async topology(): Promise<ClusterNodeInfo[]> {
    const asker = this.running.find(server => !server.paused);
    if (!asker) throw new Error('no running node to ask');
    const [reply] = await rawCommands({ port: asker.port }, [['CLUSTER', 'NODES']], 2_000);
    if (reply?.kind !== 'bulk' || reply.value === null) {
      throw new Error(`CLUSTER NODES answered ${JSON.stringify(reply)}`);
    }
    return reply.value
      .trim()
      .split('\n')
      .map(line => {
        const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
        const flagList = flags.split(',');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)?.[1]),
          role: flagList.includes('master') ? 'master' : 'replica',
          masterId: masterId === '-' ? undefined : masterId,
          failed: flagList.includes('fail') || flagList.includes('fail?'),
          slots: slots
            .filter(range => !range.startsWith('['))
            .map(range => {
              const [first, last = first] = range.split('-').map(Number);
              return [first, last] as [number, number];
            }),
        };
      });
  }

  /** The master node serving `slot` now. */
  async masterOf(slot: number): Promise<RedisServer> {
    const topology = await this.topology();
    const owner = topology.find(
      node =>
        node.role === 'master' &&
        !node.failed &&
        node.slots.some(([first, last]) => slot >= first && slot <= last),
    );
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return this.server(owner.port);
  }

  /** The running masters. */
  async masters(): Promise<RedisServer[]> {
    const topology = await this.topology();
    return topology
      .filter(node => node.role === 'master' && !node.failed && node.slots.length > 0)
      .map(node => this.server(node.port))
      .filter(server => server.running);
  }

  /**
   * Waits until every running node says `cluster_state:ok` and agrees on the number of nodes, and
   * every replica has finished its first sync (a replica that never synced cannot be promoted).
   */
  async waitUntilHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        const states = await Promise.all(
          this.running.map(async server => {
            const [info, replication] = await rawCommands(
              { port: server.port },
              [
                ['CLUSTER', 'INFO'],
                ['INFO', 'replication'],
              ],
              1_000,
            );
            const text = `${info?.value ?? ''}\n${replication?.value ?? ''}`;
            const ok = /cluster_state:ok/.test(text);
            const known = Number(/cluster_known_nodes:(\d+)/.exec(text)?.[1]);
            const synced = !/role:slave/.test(text) || /master_link_status:up/.test(text);
            return { port: server.port, ok, known, synced };
          }),
        );
        last = JSON.stringify(states);
        if (states.every(s => s.ok && s.known === this.servers.length && s.synced)) return;
      } catch (error) {
        last = String(error);
      }
      if (Date.now() > deadline) {
        throw new Error(`the Redis Cluster did not become healthy within ${timeoutMs} ms: ${last}`);
      }
      await sleep(50);
    }
  }

  /** Runs a command on every running master and returns their replies (redis-cli output). */
  async onMasters(...args: string[]): Promise<string[]> {
    return Promise.all((await this.masters()).map(server => server.command(...args)));
  }

  /** Stops every node (SIGTERM, SIGKILL after 5 s). */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map(server => server.stop()));
  }
}

/**
 * Starts one cluster-mode node. The cluster bus port is chosen free too (Redis would use
 * port + 10000, which may be taken or out of range), and a start that loses a port race retries.
 */
async function startNode(args: readonly string[]): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    let bus = await freePort();
    while (bus === port) bus = await freePort();
    try {
      return await RedisServer.start({
        port,
        args: [
          '--cluster-enabled',
          'yes',
          // Relative to the node's own temporary --dir.
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '1000',
          '--cluster-port',
          String(bus),
          // A replica's first sync starts at once (the default waits 5 s for more replicas).
          '--repl-diskless-sync-delay',
          '0',
          ...args,
        ],
      });
    } catch (error) {
      lastError = error;
      if (!/Address already in use/.test(String(error))) throw error;
    }
  }
  throw lastError;
}

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        const hint = (error as NodeJS.ErrnoException).code === 'ENOENT' ? REDIS_INSTALL_HINT : '';
        reject(
          new Error(
            `redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}${hint}`,
          ),
        );
        return;
      }
      resolve(String(stdout));
    });
  });
}
