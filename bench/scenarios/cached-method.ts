import { METHOD_CONTENDERS, startMethodApp, type MethodContender } from '../apps/method-app.js';
import type { BenchContext } from '../lib/context.js';
import { median, round, roundAll } from '../lib/stats.js';

/** One way of caching a method call: its hits, each round. */
export interface MethodFigures {
  /** Hits per second with `connections` calls in flight. */
  callsPerS: number[];
  /** Microseconds per hit, one call at a time (the latency a caller sees). */
  usPerCall: number[];
  medianCallsPerS: number;
  medianUsPerCall: number;
}

export interface CachedMethodResult {
  /** Calls in flight in the throughput half of each run. */
  concurrency: number;
  contenders: Record<MethodContender, MethodFigures>;
  /**
   * What `@Cached` costs over the `cache.getOrSet` it is built on, on a hit, with models (entry
   * and tokens read) and without: throughput ratio (median of the rounds' ratios) and extra µs per
   * call, one at a time.
   */
  overGetOrSet: {
    models: { ratio: number; extraUs: number };
    plain: { ratio: number; extraUs: number };
  };
  /** `@Cached` (no models) ÷ `@nestjs/cache-manager`'s `cache.wrap()`, hits per second. */
  versusCacheManager: number;
}

/**
 * A `@Cached` hit against a plain `cache.getOrSet` hit (its cost over the low-level call) and
 * against `@nestjs/cache-manager`'s `wrap()` on `@keyv/redis` (it has no method decorator; its
 * `CacheInterceptor` caches routes, which the `hit` scenario compares). In the runner's process,
 * on a Redis of the run's own; every contender is timed in every round, in turn.
 */
export async function runCachedMethod(ctx: BenchContext): Promise<CachedMethodResult> {
  const redis = await ctx.startRedis();
  const app = await startMethodApp(redis.url, 'bench-methods');
  const figures = Object.fromEntries(
    METHOD_CONTENDERS.map(name => [name, { callsPerS: [] as number[], usPerCall: [] as number[] }]),
  ) as Record<MethodContender, { callsPerS: number[]; usPerCall: number[] }>;
  const halfMs = (ctx.durationS * 1000) / 2;
  try {
    // Warm-up (not in quick mode): the first contender would otherwise pay for the JIT.
    for (const name of METHOD_CONTENDERS) {
      if (ctx.warmupS > 0) await throughput(app.calls[name], ctx.connections, ctx.warmupS * 1000);
    }
    for (let round = 0; round < ctx.rounds; round++) {
      // Reverse the order every other round, so no contender always follows the same one.
      const order = round % 2 === 0 ? METHOD_CONTENDERS : [...METHOD_CONTENDERS].reverse();
      const line: string[] = [];
      for (const name of order) {
        const call = app.calls[name];
        const callsPerS = await throughput(call, ctx.connections, halfMs);
        const usPerCall = await latency(call, halfMs);
        figures[name].callsPerS.push(callsPerS);
        figures[name].usPerCall.push(usPerCall);
        line.push(`${name} ${Math.round(callsPerS)}/s ${round1(usPerCall)} µs`);
      }
      ctx.log(`  cached-method round ${round + 1}/${ctx.rounds}: ${line.join(' · ')}`);
    }
  } finally {
    await app.close();
  }
  const ratio = (a: MethodContender, b: MethodContender) =>
    round(median(figures[a].callsPerS.map((rate, i) => rate / figures[b].callsPerS[i]!)), 3);
  const extra = (a: MethodContender, b: MethodContender) =>
    round(median(figures[a].usPerCall.map((us, i) => us - figures[b].usPerCall[i]!)), 1);
  const contenders = Object.fromEntries(
    METHOD_CONTENDERS.map(name => {
      const { callsPerS, usPerCall } = figures[name];
      return [
        name,
        {
          callsPerS: roundAll(callsPerS, 0),
          usPerCall: roundAll(usPerCall, 1),
          medianCallsPerS: round(median(callsPerS), 0),
          medianUsPerCall: round(median(usPerCall), 1),
        },
      ];
    }),
  ) as Record<MethodContender, MethodFigures>;
  return {
    concurrency: ctx.connections,
    contenders,
    overGetOrSet: {
      models: { ratio: ratio('cached', 'getOrSet'), extraUs: extra('cached', 'getOrSet') },
      plain: {
        ratio: ratio('cached-plain', 'getOrSet-plain'),
        extraUs: extra('cached-plain', 'getOrSet-plain'),
      },
    },
    versusCacheManager: ratio('cached-plain', 'cache-manager'),
  };
}

/** Calls per second with `concurrency` loops each awaiting one call after another. */
async function throughput(
  call: () => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  let calls = 0;
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await call();
        calls++;
      }
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

/** Median µs of one call at a time. */
async function latency(call: () => Promise<unknown>, durationMs: number): Promise<number> {
  const samples: number[] = [];
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    const started = performance.now();
    await call();
    samples.push((performance.now() - started) * 1000);
  }
  return median(samples);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
