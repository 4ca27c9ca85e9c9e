import { startChildApp, type ChildApp } from './child-app.js';
import { RedisServer } from './redis-server.js';
import { TcpProxy } from './tcp-proxy.js';

/** A `redis-server` of the suite, the proxy that partitions it, and the app processes of a test. */
export interface PartitionedRedis {
  readonly redis: RedisServer;
  readonly proxy: TcpProxy;
  /** Starts an app process (stopped after the test). */
  start(entry: string, env: Record<string, string>): Promise<ChildApp>;
  /** Kills an app process with SIGKILL: it gets no chance to finish anything. */
  kill(app: ChildApp): void;
  /** Stops an app process before the test ends. */
  stop(app: ChildApp): Promise<void>;
}

/**
 * Registers, in the current `describe`, a `redis-server` reached through a `TcpProxy` that drops
 * bytes on demand (a partition, not an error); every app process a test starts is stopped after
 * it, the partition healed, then `cleanup` run (what the processes used, such as their files).
 */
export function partitionedRedis(cleanup?: () => unknown): PartitionedRedis {
  const apps: ChildApp[] = [];
  let redis: RedisServer | undefined;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start();
    proxy = await TcpProxy.start(redis.port);
  });
  afterAll(async () => {
    await Promise.all(apps.splice(0).map(app => app.stop()));
    await proxy?.close();
    await redis?.kill();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.stop()));
    proxy?.heal();
    await cleanup?.();
  });
  return {
    get redis() {
      return redis!;
    },
    get proxy() {
      return proxy!;
    },
    async start(entry, env) {
      const app = await startChildApp(entry, env);
      apps.push(app);
      return app;
    },
    kill(app) {
      app.process.kill('SIGKILL');
      apps.splice(apps.indexOf(app), 1);
    },
    async stop(app) {
      apps.splice(apps.indexOf(app), 1);
      await app.stop();
    },
  };
}
