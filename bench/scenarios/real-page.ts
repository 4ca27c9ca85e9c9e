import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BYPASS_HEADERS } from '../apps/constants.js';
import { interleave, type BenchContext } from '../lib/context.js';
import { ROOT, startApp, type AppProcess } from '../lib/processes.js';
import { median, round, roundAll } from '../lib/stats.js';
import { atLeast, type TargetCheck } from '../lib/targets.js';
import { ADAPTERS, type Adapter } from './hit.js';

export const DEMO_MODULE = 'apps/demo/src/app.module.ts';

export interface RealPageFigures {
  rps: number[];
  medianRps: number;
  p99Ms: number;
  errors: number;
  /** CPU time of the app per request (µs, median; Linux only). */
  cpuUsPerRequest?: number;
}

/** One adapter's figures: the page uncached, cached, and pre-serialized (the limit). */
export interface RealPageAdapter {
  uncached: RealPageFigures;
  cached: RealPageFigures;
  /** `GET /__bench/limit`: the same page bytes as a pre-serialized Buffer, no cache lookup. */
  limit: RealPageFigures;
  /** Cached ÷ uncached req/s, median of the per-round ratios. */
  speedup: { ratios: number[]; median: number };
  /** Cached ÷ limit req/s, median of the per-round ratios (the goal is ≥ 0.9). */
  share: { ratios: number[]; median: number };
}

export interface RealPageResult {
  skipped?: undefined;
  path: string;
  pageBytes: number;
  /** Per adapter (results before 2026-11-29 have only the Express figures below). */
  adapters?: Record<Adapter, RealPageAdapter>;
  /** Express figures of older results. */
  uncached?: RealPageFigures;
  cached?: RealPageFigures;
  speedup?: { ratios: number[]; median: number };
  targets?: TargetCheck[];
}

export interface Skipped {
  skipped: string;
}

/**
 * Scenario 2: the demo blog's list page (`GET /posts`, SQLite through TypeORM) on both adapters:
 * uncached, cached, and the same bytes pre-serialized (the limit for that page on that adapter),
 * interleaved. Uncached requests carry an Authorization header, which the page cache bypasses:
 * the handler runs its real queries on every request.
 */
export async function runRealPage(ctx: BenchContext): Promise<RealPageResult | Skipped> {
  if (!existsSync(join(ROOT, DEMO_MODULE))) {
    return { skipped: `TODO: ${DEMO_MODULE} does not exist yet (apps/demo is being written).` };
  }
  const redis = await ctx.startRedis();
  const apps = new Map<Adapter, AppProcess>();
  try {
    for (const adapter of ADAPTERS) {
      apps.set(
        adapter,
        await startApp({
          name: `demo/${adapter}`,
          script: 'bench/apps/demo-app.ts',
          args: ['--adapter', adapter],
          env: { REDIS_URL: redis.url },
        }),
      );
    }
    const path = '/posts';
    let pageBytes = 0;
    for (const app of apps.values()) pageBytes = await checkDemo(app, path);
    const loads = ADAPTERS.flatMap(adapter => {
      const app = apps.get(adapter)!;
      return [
        {
          name: `${adapter}/uncached`,
          url: `${app.url}${path}`,
          headers: BYPASS_HEADERS,
          pid: app.pid,
        },
        { name: `${adapter}/cached`, url: `${app.url}${path}`, pid: app.pid },
        { name: `${adapter}/limit`, url: `${app.url}/__bench/limit`, pid: app.pid },
      ];
    });
    const runs = await interleave(ctx, loads, 'real page');
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
    const ratio = (a: string, b: string) => {
      const over = runs.get(b)!;
      const ratios = runs.get(a)!.map((run, i) => run.rps / over[i].rps);
      return { ratios: roundAll(ratios, 2), median: round(median(ratios), 2) };
    };
    const adapters = {} as Record<Adapter, RealPageAdapter>;
    for (const adapter of ADAPTERS) {
      adapters[adapter] = {
        uncached: figures(`${adapter}/uncached`),
        cached: figures(`${adapter}/cached`),
        limit: figures(`${adapter}/limit`),
        speedup: ratio(`${adapter}/cached`, `${adapter}/uncached`),
        share: ratio(`${adapter}/cached`, `${adapter}/limit`),
      };
    }
    const targets = ADAPTERS.map(adapter =>
      atLeast(
        `${adapter === 'express' ? 'Express' : 'Fastify'}: real page cached ÷ its pre-serialized Buffer`,
        adapters[adapter].share.median,
        0.9,
      ),
    );
    return { path, pageBytes, adapters, targets };
  } catch (error) {
    // The demo is someone else's work in progress: report, do not fail the whole run.
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`  real page: skipped, the demo did not run: ${message}`);
    return { skipped: `the demo app did not run: ${message.split('\n')[0]}` };
  } finally {
    for (const app of apps.values()) await app.stop();
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
  // The limit route answers once the app has read the page (just after it listens).
  for (let attempt = 0; ; attempt++) {
    const limit = await fetch(`${app.url}/__bench/limit`);
    const bytes = Buffer.from(await limit.arrayBuffer());
    if (limit.status === 200) {
      if (!bytes.equals(body)) throw new Error(`${app.name}: /__bench/limit is not the page`);
      break;
    }
    if (attempt === 50) throw new Error(`${app.name}: /__bench/limit answered ${limit.status}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return body.length;
}
