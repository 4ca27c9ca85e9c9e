// Values handed from test/global-setup.ts to the test workers via `project.provide()`.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared Redis server (REDIS_URL or a server started by the global setup). */
    redisUrl: string;
    /**
     * Startup nodes (`host:port`) of the shared Redis Cluster (REDIS_CLUSTER_NODES or a 3-master
     * cluster started by the global setup).
     */
    redisClusterNodes: string[];
  }
}
