import { interleave, type BenchContext } from '../lib/context.js';
import { startApp, stopAll, type AppProcess } from '../lib/processes.js';
import { median, round, roundAll } from '../lib/stats.js';
import { ADAPTERS, type Adapter } from './hit.js';

/** The apps, each behind the adapter's compression middleware; and the clients. */
const APPS = ['limit', 'lib-redis'] as const;
const CLIENTS = { identity: 'identity', gzip: 'gzip' } as const;

/** Per adapter: req/s of each app and client, and the ratios that answer the question. */
export interface CompressionResult {
  adapters: Record<
    Adapter,
    {
      rps: Record<string, number[]>;
      /** A gzip client's hit ÷ an identity client's hit, per round, and their median. */
      gzipHitPerIdentityHit: { ratios: number[]; median: number };
      /** A gzip client's hit ÷ the limit compressed for a gzip client: what the cache adds. */
      gzipHitPerGzipLimit: { ratios: number[]; median: number };
    }
  >;
}

/**
 * What compressing a hit costs: pages are stored once, unencoded, and the compression middleware
 * (`compression`, `@fastify/compress`) encodes each hit for a client that asks, as it encodes any
 * response. The same page for identity and gzip clients, against the limit behind the middleware.
 */
export async function runCompression(ctx: BenchContext): Promise<CompressionResult> {
  const redis = await ctx.startRedis();
  const apps = new Map<string, AppProcess>();
  try {
    for (const adapter of ADAPTERS) {
      const started = await Promise.all(
        APPS.map(contender =>
          startApp({
            name: `${adapter}/${contender}`,
            script: 'bench/apps/page-app.ts',
            args: ['--adapter', adapter, '--contender', contender, '--compression'],
            env: { REDIS_URL: redis.url, BENCH_KEY_PREFIX: `compression-${adapter}-${contender}` },
          }),
        ),
      );
      for (const app of started) apps.set(app.name, app);
    }
    // The first request stores the page.
    for (const app of apps.values()) await fetch(`${app.url}/page`);
    const targets = ADAPTERS.flatMap(adapter =>
      APPS.flatMap(contender =>
        Object.entries(CLIENTS).map(([client, accept]) => {
          const app = apps.get(`${adapter}/${contender}`)!;
          return {
            name: `${adapter}/${contender}/${client}`,
            url: `${app.url}/page`,
            headers: { 'accept-encoding': accept },
            pid: app.pid,
          };
        }),
      ),
    );
    ctx.log(`compression: ${targets.length} targets × ${ctx.rounds} rounds × ${ctx.durationS} s`);
    const runs = await interleave(ctx, targets, 'compression');
    const adapters = {} as CompressionResult['adapters'];
    for (const adapter of ADAPTERS) {
      const rps = (name: string) => runs.get(`${adapter}/${name}`)!.map(run => run.rps);
      const ratio = (a: number[], b: number[]) => {
        const ratios = a.map((value, i) => value / b[i]!);
        return { ratios: roundAll(ratios, 3), median: round(median(ratios), 3) };
      };
      adapters[adapter] = {
        rps: Object.fromEntries(
          targets
            .filter(target => target.name.startsWith(`${adapter}/`))
            .map(target => [target.name, roundAll(runs.get(target.name)!.map(run => run.rps))]),
        ),
        gzipHitPerIdentityHit: ratio(rps('lib-redis/gzip'), rps('lib-redis/identity')),
        gzipHitPerGzipLimit: ratio(rps('lib-redis/gzip'), rps('limit/gzip')),
      };
    }
    return { adapters };
  } finally {
    await stopAll(apps.values());
    await redis.stop();
  }
}
