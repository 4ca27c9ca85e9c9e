import { RedisCluster } from '../../test/support/redis-cluster.js';
import { PAGE_BUFFER } from '../apps/page-data.js';
import { interleave, type BenchContext, type MeasuredRun } from '../lib/context.js';
import { startApp, stopAll, type AppProcess } from '../lib/processes.js';
import { median, round, roundAll } from '../lib/stats.js';
import { atLeast, type TargetCheck } from '../lib/targets.js';

export const ADAPTERS = ['express', 'fastify'] as const;
export type Adapter = (typeof ADAPTERS)[number];
/** In the order they run in each round; `limit` first. */
export const HIT_CONTENDERS = [
  'limit',
  'early-floor',
  'redis-floor',
  'noop-interceptor',
  'lib-redis',
  'lib-redis-otel',
  'lib-redis-near',
  'lib-redis-interceptor',
  'lib-cluster',
  'lib-memory',
  'cache-manager',
  'none',
] as const;
export type HitContender = (typeof HIT_CONTENDERS)[number];

export const CONTENDER_LABELS: Record<HitContender, string> = {
  limit: 'limit: pre-serialized Buffer',
  'early-floor': 'floor of an answer before Nest: the Buffer from the first hook, nothing else',
  'redis-floor': 'floor of a Redis hit: one ioredis GET before Nest, nothing else',
  'noop-interceptor': 'limit + a global interceptor that does nothing',
  'lib-redis': 'nestjs-page-cache, Redis store',
  'lib-redis-otel': 'nestjs-page-cache, Redis store, OpenTelemetry SDK registered',
  'lib-redis-near': 'nestjs-page-cache, Redis store, near copies (`near: true`)',
  'lib-redis-interceptor': 'nestjs-page-cache, Redis store, early hit path off',
  'lib-cluster': 'nestjs-page-cache, Redis Cluster (3 masters)',
  'lib-memory': 'nestjs-page-cache, memory store',
  'cache-manager': '@nestjs/cache-manager + @keyv/redis',
  none: 'no cache (5 ms query)',
};

/** One contender's figures on one adapter. */
export interface ContenderFigures {
  /** req/s of each round. */
  rps: number[];
  /** req/s ÷ the limit's req/s of the same round. */
  ratios: number[];
  medianRps: number;
  /** Median of the per-round ratios: the figure. */
  medianRatio: number;
  /** Median of the rounds' p99 latencies (ms). */
  p99Ms: number;
  /** Failed requests over all rounds. */
  errors: number;
  /**
   * CPU time of the app per request (µs, median of the rounds; from /proc, Linux only). Steadier
   * than req/s when other processes compete for the cores.
   */
  cpuUsPerRequest?: number;
  /** The limit's CPU per request ÷ this one's, per round, median: the ratio if CPU-bound. */
  cpuRatio?: number;
}

export interface HitResult {
  pageBytes: number;
  /** Per adapter and contender; results of older runs may lack contenders added since. */
  adapters: Record<Adapter, Partial<Record<HitContender, ContenderFigures>>>;
  /**
   * Redis store ÷ @nestjs/cache-manager, median of the per-round ratios; `cpuMedian` the same from
   * CPU per request (cache-manager's ÷ ours).
   */
  versusCacheManager: Record<Adapter, { ratios: number[]; median: number; cpuMedian?: number }>;
  /** Each contender ÷ @nestjs/cache-manager in req/s, median of the per-round ratios. */
  overCacheManager?: Record<Adapter, Partial<Record<HitContender, number>>>;
  targets: TargetCheck[];
  /** Contenders that could not run, and why (an option this version of the library refuses). */
  skipped?: Partial<Record<HitContender, string>>;
}

/** Contenders that need an option older versions of the library refuse at startup. */
const OPTIONAL: Partial<Record<HitContender, string>> = { 'lib-redis-near': 'near' };

/** Whether an app's startup error is the library refusing `option` (unknown or invalid). */
function refuses(message: string, option: string): boolean {
  // On the line that names the option: the app's name (`…/lib-redis-near`) says `near` too.
  return new RegExp(`CacheModule options?\\b[^\\n]*\\b${option}\\b`).test(message);
}

/** The contenders a result has figures of, on every adapter, in the order they run. */
export function measuredContenders(hit: HitResult): HitContender[] {
  return HIT_CONTENDERS.filter(contender =>
    ADAPTERS.every(adapter => hit.adapters[adapter][contender] !== undefined),
  );
}

/** Scenario 1: the hit path of one 50-row JSON page, against the limit, on both adapters. */
export async function runHit(ctx: BenchContext): Promise<HitResult> {
  const redis = await ctx.startRedis();
  const cluster = await RedisCluster.start();
  const apps = new Map<string, AppProcess>();
  try {
    const skipped: Partial<Record<HitContender, string>> = {};
    for (const adapter of ADAPTERS) {
      const started = await Promise.all(
        HIT_CONTENDERS.map(contender =>
          startApp({
            name: `${adapter}/${contender}`,
            script: 'bench/apps/page-app.ts',
            args: ['--adapter', adapter, '--contender', contender],
            env: {
              REDIS_URL: redis.url,
              REDIS_CLUSTER_NODES: cluster.nodes.join(','),
              BENCH_KEY_PREFIX: `hit-${adapter}-${contender}`,
            },
          }).catch((error: unknown) => {
            const option = OPTIONAL[contender];
            const message = error instanceof Error ? error.message : String(error);
            // A library without the option refuses it at startup: the others still run.
            if (option === undefined || !refuses(message, option)) throw error;
            skipped[contender] = `the library refuses the option \`${option}\` at startup`;
            return undefined;
          }),
        ),
      );
      for (const app of started) if (app) apps.set(app.name, app);
    }
    for (const contender of Object.keys(skipped) as HitContender[]) {
      ctx.log(`  skipped ${contender}: ${skipped[contender]}`);
      // Measured on both adapters or on neither.
      for (const adapter of ADAPTERS) {
        const app = apps.get(`${adapter}/${contender}`);
        apps.delete(`${adapter}/${contender}`);
        await app?.stop();
      }
    }
    const running = HIT_CONTENDERS.filter(contender => skipped[contender] === undefined);
    for (const app of apps.values()) await checkPage(app);

    const targets = ADAPTERS.flatMap(adapter =>
      running.map(contender => ({
        name: `${adapter}/${contender}`,
        url: `${apps.get(`${adapter}/${contender}`)!.url}/page`,
        pid: apps.get(`${adapter}/${contender}`)!.pid,
      })),
    );
    ctx.log(`hit path: ${targets.length} contenders × ${ctx.rounds} rounds × ${ctx.durationS} s`);
    // Each contender runs between two runs of its adapter's limit, and is compared with them.
    const limits = new Map(
      targets.filter(t => t.name.endsWith('/limit')).map(t => [t.name.split('/')[0], t]),
    );
    const runs = await interleave(ctx, targets, 'hit', 'fixed', target =>
      limits.get(target.name.split('/')[0]),
    );

    const adapters = {} as HitResult['adapters'];
    const versusCacheManager = {} as HitResult['versusCacheManager'];
    const overCacheManager = {} as NonNullable<HitResult['overCacheManager']>;
    for (const adapter of ADAPTERS) {
      const of = (contender: HitContender): MeasuredRun[] => runs.get(`${adapter}/${contender}`)!;
      /** Per round: req/s ÷ the limit's around the run (the limit's own: 1). */
      const shares = (contender: HitContender): number[] =>
        of(contender).map(run => (run.reference ? run.rps / run.reference.rps : 1));
      const figures: Partial<Record<HitContender, ContenderFigures>> = {};
      for (const contender of running) {
        const list = of(contender);
        const ratios = shares(contender);
        const cpu = list.map(run => run.cpuUsPerRequest);
        const cpuRatios = list.map(run =>
          !run.reference
            ? 1
            : run.cpuUsPerRequest && run.reference.cpuUsPerRequest
              ? run.reference.cpuUsPerRequest / run.cpuUsPerRequest
              : Number.NaN,
        );
        const measuredCpu = cpu.every(value => value !== undefined);
        figures[contender] = {
          rps: roundAll(list.map(run => run.rps)),
          ratios: roundAll(ratios, 3),
          medianRps: round(median(list.map(run => run.rps)), 0),
          medianRatio: round(median(ratios), 3),
          p99Ms: round(median(list.map(run => run.latencyMs.p99))),
          errors: list.reduce((sum, run) => sum + run.errors.total, 0),
          ...(measuredCpu
            ? {
                cpuUsPerRequest: round(median(cpu as number[]), 1),
                cpuRatio: round(median(cpuRatios), 3),
              }
            : {}),
        };
      }
      adapters[adapter] = figures;
      // Each ÷ cache-manager through their shares of the limits around them: runs far apart in
      // a round are not compared directly.
      const cmShares = shares('cache-manager');
      const overCm = (contender: HitContender): number[] =>
        shares(contender).map((share, i) => share / cmShares[i]);
      overCacheManager[adapter] = Object.fromEntries(
        running
          .filter(contender => contender !== 'limit')
          .map(contender => [contender, round(median(overCm(contender)), 3)]),
      );
      const cpuShare = (run: MeasuredRun): number =>
        run.cpuUsPerRequest && run.reference?.cpuUsPerRequest
          ? run.cpuUsPerRequest / run.reference.cpuUsPerRequest
          : Number.NaN;
      const cm = of('cache-manager');
      const ratios = overCm('lib-redis');
      const cpuRatios = of('lib-redis').map((run, i) => cpuShare(cm[i]) / cpuShare(run));
      versusCacheManager[adapter] = {
        ratios: roundAll(ratios, 3),
        median: round(median(ratios), 3),
        ...(cpuRatios.every(Number.isFinite) ? { cpuMedian: round(median(cpuRatios), 3) } : {}),
      };
    }

    const label = (adapter: Adapter): string => (adapter === 'express' ? 'Express' : 'Fastify');
    const targetChecks: TargetCheck[] = [
      ...ADAPTERS.map(adapter =>
        atLeast(
          `${label(adapter)}: Redis store ÷ limit`,
          adapters[adapter]['lib-redis']!.medianRatio,
          0.95,
        ),
      ),
      atLeast('Express: Redis store ÷ @nestjs/cache-manager', versusCacheManager.express.median, 2),
      atLeast('Fastify: Redis store ÷ @nestjs/cache-manager', versusCacheManager.fastify.median, 4),
    ];
    if (running.includes('lib-redis-near')) {
      for (const adapter of ADAPTERS) {
        targetChecks.push(
          atLeast(
            `${label(adapter)}: near copies ÷ limit`,
            adapters[adapter]['lib-redis-near']!.medianRatio,
            0.95,
          ),
        );
      }
      targetChecks.push(
        atLeast(
          'Fastify: near copies ÷ @nestjs/cache-manager',
          overCacheManager.fastify['lib-redis-near']!,
          10,
        ),
      );
    }
    return {
      pageBytes: PAGE_BUFFER.length,
      adapters,
      versusCacheManager,
      overCacheManager,
      targets: targetChecks,
      ...(Object.keys(skipped).length > 0 ? { skipped } : {}),
    };
  } finally {
    await stopAll(apps.values());
    await redis.stop();
    await cluster.stop();
  }
}

/** The page must be the same bytes from every contender, and a hit for the caching ones. */
export async function checkPage(app: AppProcess): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${app.url}/page`);
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200 || !body.equals(PAGE_BUFFER)) {
      throw new Error(
        `${app.name}: GET /page answered ${response.status} with ${body.length} bytes, not the page\n${app.output()}`,
      );
    }
    const cache = response.headers.get('x-cache');
    if (i === 1 && cache !== null && cache !== 'HIT') {
      throw new Error(`${app.name}: second GET /page was not a hit (X-Cache: ${cache})`);
    }
  }
}
