import type { BenchContext } from '../lib/context.js';
import type { LoadResult } from '../lib/load.js';
import { startApp, stopAll, type AppProcess } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import { atMost, type TargetCheck } from '../lib/targets.js';
import { ADAPTERS, type Adapter } from './hit.js';

export interface HangFigures {
  requests: number;
  rps: number;
  p99Ms: number;
  maxMs: number;
  errors: LoadResult['errors'];
}

export interface HangCase {
  adapter: Adapter;
  /** The same load with Redis answering throughout. */
  baseline: HangFigures;
  /** Redis SIGSTOPped `hangAfterS` into the run, SIGCONTed `hangS` later. */
  hang: HangFigures;
}

export interface HangResult {
  durationS: number;
  hangAfterS: number;
  hangS: number;
  cases: HangCase[];
  targets: TargetCheck[];
}

/**
 * Scenario 5: the hit path under load while its Redis hangs (SIGSTOP) for a few seconds: failed
 * requests, p99 latency and throughput, beside the same run without the hang.
 */
export async function runHang(ctx: BenchContext): Promise<HangResult> {
  const durationS = ctx.quick ? 3 : 9;
  const hangAfterS = ctx.quick ? 1 : 3;
  const hangS = ctx.quick ? 1 : 3;
  const redis = await ctx.startRedis();
  const apps: AppProcess[] = [];
  try {
    const cases: HangCase[] = [];
    for (const adapter of ADAPTERS) {
      const app = await startApp({
        name: `hang/${adapter}`,
        script: 'bench/apps/page-app.ts',
        args: ['--adapter', adapter, '--contender', 'lib-redis'],
        env: { REDIS_URL: redis.url, BENCH_KEY_PREFIX: `hang-${adapter}` },
      });
      apps.push(app);
      const url = `${app.url}/page`;
      const load = (s: number): Promise<LoadResult> =>
        ctx.tool.run({ url, connections: ctx.connections, durationS: s });
      if (ctx.warmupS > 0) await load(ctx.warmupS);
      const baseline = await load(durationS);
      let resume: NodeJS.Timeout | undefined;
      const hangRun = load(durationS);
      const pause = setTimeout(() => {
        redis.pause();
        resume = setTimeout(() => redis.resume(), hangS * 1000);
      }, hangAfterS * 1000);
      let hang: LoadResult;
      try {
        hang = await hangRun;
      } finally {
        clearTimeout(pause);
        clearTimeout(resume);
        if (redis.paused) redis.resume();
      }
      const item = { adapter, baseline: figures(baseline), hang: figures(hang) };
      cases.push(item);
      ctx.log(
        `  redis hang, ${adapter}: ${item.hang.errors.total} failed, p99 ${item.hang.p99Ms} ms ` +
          `(baseline ${item.baseline.p99Ms} ms), ${item.hang.rps} req/s (baseline ${item.baseline.rps})`,
      );
      // Back to normal before the next adapter.
      await app.stop();
    }
    const targets = cases.map(item =>
      atMost(
        `${item.adapter === 'express' ? 'Express' : 'Fastify'}: failed requests while Redis hangs`,
        item.hang.errors.total,
        0,
        'requests',
        0,
      ),
    );
    return { durationS, hangAfterS, hangS, cases, targets };
  } finally {
    await stopAll(apps);
    await redis.stop();
  }
}

function figures(result: LoadResult): HangFigures {
  return {
    requests: result.requests,
    rps: round(result.rps, 0),
    p99Ms: round(result.latencyMs.p99, 1),
    maxMs: round(result.latencyMs.max, 1),
    errors: result.errors,
  };
}
