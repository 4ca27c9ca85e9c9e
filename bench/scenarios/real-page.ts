import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BYPASS_HEADERS } from '../apps/constants.js';
import { interleave, type BenchContext } from '../lib/context.js';
import { ROOT, startApp, type AppProcess } from '../lib/processes.js';
import { median, round, roundAll } from '../lib/stats.js';

export const DEMO_MODULE = 'apps/demo/src/app.module.ts';

export interface RealPageFigures {
  rps: number[];
  medianRps: number;
  p99Ms: number;
  errors: number;
  /** CPU time of the app per request (µs, median; Linux only). */
  cpuUsPerRequest?: number;
}

export interface RealPageResult {
  skipped?: undefined;
  path: string;
  pageBytes: number;
  uncached: RealPageFigures;
  cached: RealPageFigures;
  /** Cached ÷ uncached req/s, median of the per-round ratios. */
  speedup: { ratios: number[]; median: number };
}

export interface Skipped {
  skipped: string;
}

/**
 * Scenario 2: the demo blog's list page (`GET /posts`, SQLite through TypeORM), uncached vs
 * cached, in one process. Uncached requests carry an Authorization header, which the page cache
 * bypasses: the handler runs its real queries on every request.
 */
export async function runRealPage(ctx: BenchContext): Promise<RealPageResult | Skipped> {
  if (!existsSync(join(ROOT, DEMO_MODULE))) {
    return { skipped: `TODO: ${DEMO_MODULE} does not exist yet (apps/demo is being written).` };
  }
  const redis = await ctx.startRedis();
  let app: AppProcess | undefined;
  try {
    app = await startApp({
      name: 'demo',
      script: 'bench/apps/demo-app.ts',
      env: { REDIS_URL: redis.url },
    });
    const path = '/posts';
    const pageBytes = await checkDemo(app, path);
    const url = `${app.url}${path}`;
    const runs = await interleave(
      ctx,
      [
        { name: 'uncached', url, headers: BYPASS_HEADERS, pid: app.pid },
        { name: 'cached', url, pid: app.pid },
      ],
      'real page',
    );
    const figures = (name: string): RealPageFigures => {
      const list = runs.get(name)!;
      return {
        rps: roundAll(list.map(run => run.rps)),
        medianRps: round(median(list.map(run => run.rps)), 0),
        p99Ms: round(median(list.map(run => run.latencyMs.p99))),
        errors: list.reduce((sum, run) => sum + run.errors.total, 0),
        ...(list.every(run => run.cpuUsPerRequest !== undefined)
          ? { cpuUsPerRequest: round(median(list.map(run => run.cpuUsPerRequest!)), 1) }
          : {}),
      };
    };
    const uncached = runs.get('uncached')!;
    const ratios = runs.get('cached')!.map((run, i) => run.rps / uncached[i].rps);
    return {
      path,
      pageBytes,
      uncached: figures('uncached'),
      cached: figures('cached'),
      speedup: { ratios: roundAll(ratios, 2), median: round(median(ratios), 2) },
    };
  } catch (error) {
    // The demo is someone else's work in progress: report, do not fail the whole run.
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`  real page: skipped, the demo did not run: ${message}`);
    return { skipped: `the demo app did not run: ${message.split('\n')[0]}` };
  } finally {
    await app?.stop();
    await redis.stop();
  }
}

/** The page must answer 200, be a hit the second time, and be bypassed with Authorization. */
async function checkDemo(app: AppProcess, path: string): Promise<number> {
  const first = await fetch(`${app.url}${path}`);
  const body = Buffer.from(await first.arrayBuffer());
  const second = await fetch(`${app.url}${path}`);
  await second.arrayBuffer();
  const bypassed = await fetch(`${app.url}${path}`, { headers: BYPASS_HEADERS });
  await bypassed.arrayBuffer();
  const states = [first, second, bypassed].map(r => `${r.status} ${r.headers.get('x-cache')}`);
  if (states.join(',') !== '200 MISS,200 HIT,200 BYPASS') {
    throw new Error(`GET ${path} answered ${states.join(', ')}; expected MISS, HIT, BYPASS`);
  }
  return body.length;
}
