import { RedisCluster } from '../../test/support/redis-cluster.js';
import { ARTICLE_PAGES_GLOB } from '../apps/constants.js';
import type { BenchContext } from '../lib/context.js';
import { startApp, type AppProcess } from '../lib/processes.js';
import { median, round, roundAll } from '../lib/stats.js';
import { atMost, type TargetCheck } from '../lib/targets.js';

/** Pages built from the model that is invalidated. */
export const PAGES = 100;

export interface InvalidationSize {
  /** Where the keys live. */
  backend?: 'redis' | 'cluster';
  /** Unrelated keys in Redis (DEBUG POPULATE). */
  unrelatedKeys: number;
  /** Keys in the database while measuring. */
  dbsize: number;
  /** `emitAsync(ENTITY_SAVED, { model: 'Article' })`, timed in the app (ms). */
  event: { samplesMs: number[]; medianMs: number };
  /** `deletePattern('page:*Article*')` (SCAN + UNLINK), timed in the app (ms). */
  scan: { samplesMs: number[]; medianMs: number; deleted: number[] };
  /** Pages still served from the cache after an invalidation or deletion (must be 0). */
  stale: number;
}

export interface InvalidationResult {
  pages: number;
  repetitions: number;
  glob: string;
  sizes: InvalidationSize[];
  targets: TargetCheck[];
}

/** Scenario 3: time to invalidate one model's 100 pages as the keyspace grows. */
export async function runInvalidation(ctx: BenchContext): Promise<InvalidationResult> {
  const sizes = ctx.quick ? [10_000] : [10_000, 100_000, 1_000_000];
  const repetitions = ctx.quick ? 3 : 7;
  const results: InvalidationSize[] = [];
  const redis = await ctx.startRedis(['--enable-debug-command', 'yes']);
  try {
    results.push(
      ...(await measureBackend(
        ctx,
        'redis',
        sizes,
        repetitions,
        { REDIS_URL: redis.url },
        {
          populate: n => redis.command('DEBUG', 'POPULATE', String(n), 'unrelated', '64'),
          dbsize: async () => Number(await redis.command('DBSIZE')),
        },
      )),
    );
  } finally {
    await redis.stop();
  }
  // The same on a 3-master Cluster: the unrelated keys are spread over the masters.
  const cluster = await RedisCluster.start({ args: ['--enable-debug-command', 'yes'] });
  try {
    results.push(
      ...(await measureBackend(
        ctx,
        'cluster',
        sizes,
        repetitions,
        { REDIS_CLUSTER_NODES: cluster.nodes.join(',') },
        {
          populate: async n => {
            const masters = await cluster.masters();
            await Promise.all(
              masters.map((server, i) =>
                server.command(
                  'DEBUG',
                  'POPULATE',
                  String(Math.ceil(n / masters.length)),
                  `unrelated${i}`,
                  '64',
                ),
              ),
            );
          },
          dbsize: async () =>
            (await cluster.onMasters('DBSIZE')).reduce((sum, n) => sum + Number(n), 0),
        },
      )),
    );
  } finally {
    await cluster.stop();
  }
  {
    const standalone = results.filter(size => size.backend === 'redis');
    const first = standalone[0];
    const last = standalone[standalone.length - 1];
    const targets: TargetCheck[] = results.map(size =>
      atMost(
        `event path${size.backend === 'cluster' ? ' (Cluster)' : ''}, ${size.unrelatedKeys.toLocaleString('en-US')} unrelated keys (median)`,
        size.event.medianMs,
        5,
        'ms',
      ),
    );
    if (standalone.length > 1) {
      // Flat: the largest keyspace costs at most 1 ms or 25 % more than the smallest.
      const allowed = Math.max(first.event.medianMs + 1, first.event.medianMs * 1.25);
      const check = atMost(
        `event path flat from ${first.unrelatedKeys.toLocaleString('en-US')} to ${last.unrelatedKeys.toLocaleString('en-US')} keys (median at the largest)`,
        last.event.medianMs,
        round(allowed, 2),
        'ms',
      );
      targets.push({ ...check, target: `${check.target} (10k median + max(1 ms, 25 %))` });
    }
    targets.push(
      atMost(
        'pages still served after an invalidation or deletion',
        results.reduce((sum, size) => sum + size.stale, 0),
        0,
        'pages',
        0,
      ),
    );
    return { pages: PAGES, repetitions, glob: ARTICLE_PAGES_GLOB, sizes: results, targets };
  }
}

interface Keyspace {
  populate(unrelatedKeys: number): Promise<unknown>;
  dbsize(): Promise<number>;
}

/** Runs the measurement on one backend: an app over it, then each keyspace size. */
async function measureBackend(
  ctx: BenchContext,
  backend: 'redis' | 'cluster',
  sizes: number[],
  repetitions: number,
  env: Record<string, string>,
  keyspace: Keyspace,
): Promise<InvalidationSize[]> {
  let app: AppProcess | undefined;
  try {
    app = await startApp({
      name: `invalidation-${backend}`,
      script: 'bench/apps/invalidation-app.ts',
      env,
    });
    const results: InvalidationSize[] = [];
    for (const unrelatedKeys of sizes) {
      // Adds the keys missing to reach the size.
      await keyspace.populate(unrelatedKeys);
      const event: number[] = [];
      const scan: number[] = [];
      const deleted: number[] = [];
      let stale = 0;
      await cachePages(app);
      const dbsize = await keyspace.dbsize();
      for (let rep = 0; rep < repetitions; rep++) {
        event.push((await post<{ ms: number }>(app, '/__bench/invalidate')).ms);
        stale += (await cachePages(app)).hits;
        const byPattern = await post<{ ms: number; deleted: number }>(
          app,
          '/__bench/delete-pattern',
        );
        scan.push(byPattern.ms);
        deleted.push(byPattern.deleted);
        stale += (await cachePages(app)).hits;
      }
      const size: InvalidationSize = {
        backend,
        unrelatedKeys,
        dbsize,
        event: { samplesMs: roundAll(event, 3), medianMs: round(median(event), 3) },
        scan: { samplesMs: roundAll(scan, 3), medianMs: round(median(scan), 3), deleted },
        stale,
      };
      results.push(size);
      ctx.log(
        `  invalidation (${backend}), ${unrelatedKeys} unrelated keys: event ${size.event.medianMs} ms, ` +
          `SCAN ${size.scan.medianMs} ms (deleted ${deleted.join('/')}), stale ${stale}`,
      );
    }
    return results;
  } finally {
    await app?.stop();
  }
}

/** GETs every page (10 at a time). @returns how many were hits and misses. */
async function cachePages(app: AppProcess): Promise<{ hits: number; misses: number }> {
  let hits = 0;
  let misses = 0;
  for (let start = 0; start < PAGES; start += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const response = await fetch(`${app.url}/articles/${start + i}`);
        await response.arrayBuffer();
        if (response.status !== 200)
          throw new Error(`GET /articles/${start + i}: ${response.status}`);
        if (response.headers.get('x-cache') === 'HIT') hits++;
        else misses++;
      }),
    );
  }
  return { hits, misses };
}

async function post<T>(app: AppProcess, path: string): Promise<T> {
  const response = await fetch(`${app.url}${path}`, { method: 'POST' });
  if (response.status >= 300) {
    throw new Error(`POST ${path}: ${response.status} ${await response.text()}\n${app.output()}`);
  }
  return (await response.json()) as T;
}
