import { EventEmitter2 } from '@nestjs/event-emitter';
import type { ModuleRef } from '@nestjs/core';
import { CacheStatistics } from '../../libs/page-cache/src/cache-statistics.js';
import { PAGE_BUFFER } from '../apps/page-data.js';
import { interleave, permutations, type BenchContext, type MeasuredRun } from '../lib/context.js';
import { startApp, stopAll, type AppProcess } from '../lib/processes.js';
import { median, medianInterval, round, roundAll } from '../lib/stats.js';
import type { TargetCheck } from '../lib/targets.js';
import { ADAPTERS, checkPage, type Adapter } from './hit.js';

/**
 * The apps compared, per adapter. `on-again` is a second, identical statistics-on app: on-again ÷
 * on (an A/A comparison) shows how far two identical apps drift apart on this machine, the
 * resolution against which on ÷ off is read.
 */
export const STATISTICS_APPS = ['on', 'on-again', 'off'] as const;
export type StatisticsApp = (typeof STATISTICS_APPS)[number];

/**
 * Rounds unless `--quick`: enough for a 96 % interval of the median from the 3rd to 10th value.
 * Rounded up to whole cycles of the six orders of the three apps.
 */
export const STATISTICS_MIN_ROUNDS = 12;

/** A per-round ratio of two apps, its median and a distribution-free interval of the median. */
export interface RatioFigures {
  ratios: number[];
  median: number;
  low: number;
  high: number;
  /** Coverage of [low, high] (e.g. 0.96). */
  confidence: number;
}

export interface StatisticsAdapterFigures {
  /** req/s of each round, per app. */
  rps: Record<StatisticsApp, number[]>;
  /** CPU time per request (µs, median of the rounds), per app. */
  cpuUsPerRequest?: Record<StatisticsApp, number>;
  /** req/s on ÷ off, per round: the figure. */
  onOff: RatioFigures;
  /** req/s on-again ÷ on, per round: the A/A control. */
  control: RatioFigures;
  /** CPU per request off ÷ on, per round: the throughput ratio if CPU-bound. */
  cpuOnOff?: RatioFigures;
  errors: number;
}

export interface StatisticsResult {
  rounds: number;
  durationS: number;
  adapters: Record<Adapter, StatisticsAdapterFigures>;
  /**
   * The counting itself, timed in this process: ns per `hit()` with statistics on and off (the
   * same call the interceptor makes on every hit, with an event emitter that has no listeners).
   */
  counting: { nsPerHitOn: number; nsPerHitOff: number; nsPerHit: number };
  /** nsPerHit ÷ the CPU a hit costs the statistics-on app, per adapter (a fraction). */
  countingShare?: Record<Adapter, number>;
  targets: TargetCheck[];
}

/**
 * Scenario: what the statistics cost on the hit path. All three apps serve the hit-path page from
 * one Redis with `EventEmitterModule` set up; `off` differs from the others only in
 * `statistics: false`. Rounds cycle through every order of the three, so none gains from its
 * position.
 */
export async function runStatistics(ctx: BenchContext): Promise<StatisticsResult> {
  const orders = permutations(STATISTICS_APPS).length;
  const rounds = ctx.quick
    ? ctx.rounds
    : Math.ceil(Math.max(ctx.rounds, STATISTICS_MIN_ROUNDS) / orders) * orders;
  const redis = await ctx.startRedis();
  const apps: AppProcess[] = [];
  try {
    const adapters = {} as StatisticsResult['adapters'];
    for (const adapter of ADAPTERS) {
      const started = await Promise.all(
        STATISTICS_APPS.map(app =>
          startApp({
            name: `${adapter}/${app}`,
            script: 'bench/apps/page-app.ts',
            args: [
              '--adapter',
              adapter,
              '--contender',
              app === 'off' ? 'lib-redis-nostats' : 'lib-redis',
              '--events',
            ],
            env: { REDIS_URL: redis.url, BENCH_KEY_PREFIX: `stats-${adapter}-${app}` },
          }),
        ),
      );
      apps.push(...started);
      for (const app of started) await checkPage(app);
      ctx.log(`statistics, ${adapter}: 3 apps × ${rounds} rounds × ${ctx.durationS} s`);
      const runs = await interleave(
        { ...ctx, rounds },
        started.map(app => ({ name: app.name, url: `${app.url}/page`, pid: app.pid })),
        `statistics ${adapter}`,
        'balanced',
      );
      const of = (app: StatisticsApp): MeasuredRun[] => runs.get(`${adapter}/${app}`)!;
      adapters[adapter] = figures(of);
      await stopAll(started);
    }

    const counting = await timeCounting();
    const countingShare = {} as Record<Adapter, number>;
    for (const adapter of ADAPTERS) {
      const cpu = adapters[adapter].cpuUsPerRequest?.on;
      if (cpu) countingShare[adapter] = round(counting.nsPerHit / (cpu * 1000), 6);
    }
    return {
      rounds,
      durationS: ctx.durationS,
      adapters,
      counting,
      ...(Object.keys(countingShare).length === ADAPTERS.length ? { countingShare } : {}),
      targets: ADAPTERS.map(adapter => noMeasurableCost(adapter, adapters[adapter])),
    };
  } finally {
    await stopAll(apps);
    await redis.stop();
  }
}

function ratioFigures(ratios: number[]): RatioFigures {
  const interval = medianInterval(ratios);
  return {
    ratios: roundAll(ratios, 3),
    median: round(median(ratios), 3),
    low: round(interval.low, 3),
    high: round(interval.high, 3),
    confidence: round(interval.confidence, 3),
  };
}

function figures(of: (app: StatisticsApp) => MeasuredRun[]): StatisticsAdapterFigures {
  const [on, again, off] = [of('on'), of('on-again'), of('off')];
  const cpu = (runs: MeasuredRun[]): number[] | undefined =>
    runs.every(run => run.cpuUsPerRequest !== undefined)
      ? runs.map(run => run.cpuUsPerRequest!)
      : undefined;
  const [cpuOn, cpuAgain, cpuOff] = [cpu(on), cpu(again), cpu(off)];
  return {
    rps: {
      on: roundAll(
        on.map(run => run.rps),
        0,
      ),
      'on-again': roundAll(
        again.map(run => run.rps),
        0,
      ),
      off: roundAll(
        off.map(run => run.rps),
        0,
      ),
    },
    ...(cpuOn && cpuAgain && cpuOff
      ? {
          cpuUsPerRequest: {
            on: round(median(cpuOn), 1),
            'on-again': round(median(cpuAgain), 1),
            off: round(median(cpuOff), 1),
          },
          cpuOnOff: ratioFigures(cpuOn.map((us, i) => cpuOff[i] / us)),
        }
      : {}),
    onOff: ratioFigures(on.map((run, i) => run.rps / off[i].rps)),
    control: ratioFigures(again.map((run, i) => run.rps / on[i].rps)),
    errors: [...on, ...again, ...off].reduce((sum, run) => sum + run.errors.total, 0),
  };
}

/**
 * Met when the interval of on ÷ off holds 1 ×: no difference this measurement can see. The
 * figures beside it (the A/A control and the counting's own ns) say how fine that measurement is.
 */
function noMeasurableCost(adapter: Adapter, figures: StatisticsAdapterFigures): TargetCheck {
  const { median: mid, low, high, confidence } = figures.onOff;
  const met = low <= 1 && high >= 1;
  const pct = Math.round(confidence * 100);
  return {
    what: `${adapter === 'express' ? 'Express' : 'Fastify'}: statistics on ÷ off (req/s)`,
    target: `${pct} % interval holds 1 ×`,
    measured: `${mid.toFixed(2)} × (${pct} %: ${low.toFixed(2)}–${high.toFixed(2)})`,
    met,
    gap: met ? undefined : `the interval lies ${high < 1 ? 'below' : 'above'} 1 ×`,
  };
}

const VIEW = 'PageCacheController.page';
const KEY = 'bench:1:page:PageCacheController.page:-:0123456789abcdef';

/** ns per `hit()` call, statistics on and off: the median of alternating timed batches. */
async function timeCounting(): Promise<StatisticsResult['counting']> {
  const emitter = new EventEmitter2();
  const moduleRef = { get: () => emitter } as unknown as ModuleRef;
  const make = async (enabled: boolean): Promise<CacheStatistics> => {
    const statistics = new CacheStatistics(moduleRef, enabled);
    await statistics.onModuleInit();
    return statistics;
  };
  const on = await make(true);
  const off = await make(false);
  const calls = 2_000_000;
  const batch = (statistics: CacheStatistics): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) statistics.hit(VIEW, KEY, PAGE_BUFFER.length, false);
    return Number(process.hrtime.bigint() - started) / calls;
  };
  batch(on);
  batch(off);
  const onNs: number[] = [];
  const offNs: number[] = [];
  for (let i = 0; i < 7; i++) {
    onNs.push(batch(on));
    offNs.push(batch(off));
  }
  const nsPerHitOn = median(onNs);
  const nsPerHitOff = median(offNs);
  return {
    nsPerHitOn: round(nsPerHitOn, 1),
    nsPerHitOff: round(nsPerHitOff, 1),
    nsPerHit: round(Math.max(0, nsPerHitOn - nsPerHitOff), 1),
  };
}
