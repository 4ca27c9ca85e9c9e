import { TcpProxy } from '../../test/support/tcp-proxy.js';
import type { BenchContext } from '../lib/context.js';
import { startApp, stopAll, type AppProcess } from '../lib/processes.js';
import { median, round, roundAll } from '../lib/stats.js';
import { atMost, type TargetCheck } from '../lib/targets.js';
import type { Skipped } from './real-page.js';

/** Processes holding near copies of the same pages. */
export const HOLDERS = 4;
/** The lease of every holder (the library's default). */
export const LEASE_MS = 2_000;
/** Pages each holder keeps near copies of. */
const PAGES = 10;

/** `invalidate()` timings of one set-up, in the invalidating process (ms). */
export interface NearInvalidationCase {
  /** Holders whose acknowledgements can arrive (the others are cut off from Redis). */
  reachable: number;
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Pages served by a reachable holder after the invalidation resolved that were rendered before
   * it began (must be 0).
   */
  stale: number;
}

export interface NearInvalidationResult {
  holders: number;
  leaseMs: number;
  /** Every holder reachable: each acknowledges. */
  connected: NearInvalidationCase;
  /** One holder cut off (a proxy swallowing its traffic) just before each invalidation. */
  partitioned: NearInvalidationCase;
  targets: TargetCheck[];
}

/**
 * `cache.invalidate('Article')` with 4 processes holding near copies of the model's pages: its
 * latency when every holder acknowledges, and when one was just cut off from Redis (it cannot
 * acknowledge: the invalidation waits out its lease, never longer). After each invalidation every
 * reachable holder reads the pages again: one rendered before the invalidation began is stale.
 */
export async function runNearInvalidation(
  ctx: BenchContext,
): Promise<NearInvalidationResult | Skipped> {
  const repetitions = ctx.quick ? 5 : 200;
  const cuts = ctx.quick ? 2 : 7;
  const redis = await ctx.startRedis();
  const proxy = await TcpProxy.start(redis.port);
  const apps: AppProcess[] = [];
  try {
    try {
      for (let i = 0; i < HOLDERS; i++) {
        apps.push(
          await startApp({
            name: `near-${i}`,
            script: 'bench/apps/near-app.ts',
            args: ['--lease-ms', String(LEASE_MS)],
            // The last holder reaches Redis through the proxy that cuts it off.
            env: { REDIS_URL: i === HOLDERS - 1 ? proxy.url : redis.url },
          }),
        );
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/CacheModule options?\b[^\n]*\bnear\b/.test(message)) throw error;
      return { skipped: 'this version of the library refuses the option `near` at startup.' };
    }
    const [announcer] = apps;
    const cutOff = apps[HOLDERS - 1]!;
    const reachable = apps.slice(0, HOLDERS - 1);

    const connected: number[] = [];
    let connectedStale = 0;
    await Promise.all(apps.map(untilLeaseHeld));
    for (let rep = 0; rep < repetitions; rep++) {
      await Promise.all(apps.map(holdCopies));
      const began = Date.now();
      connected.push((await post<{ ms: number }>(announcer!, '/__bench/invalidate')).ms);
      for (const app of apps) connectedStale += await staleReads(app, began);
    }

    const partitioned: number[] = [];
    let partitionedStale = 0;
    for (let cut = 0; cut < cuts; cut++) {
      await Promise.all(apps.map(holdCopies));
      proxy.drop();
      const began = Date.now();
      partitioned.push((await post<{ ms: number }>(announcer!, '/__bench/invalidate')).ms);
      for (const app of reachable) partitionedStale += await staleReads(app, began);
      // Its connections that lost bytes are closed: it reconnects and takes a new lease, with
      // none of the copies it held when cut off.
      proxy.heal();
      await untilLeaseHeld(cutOff);
      partitionedStale += await staleReads(cutOff, began);
    }

    const result = {
      holders: HOLDERS,
      leaseMs: LEASE_MS,
      connected: summarize(HOLDERS, connected, connectedStale),
      partitioned: summarize(HOLDERS - 1, partitioned, partitionedStale),
    };
    ctx.log(
      `  near invalidation, ${HOLDERS} holders: p50 ${result.connected.p50Ms} ms, p99 ${result.connected.p99Ms} ms; ` +
        `one cut off: p50 ${result.partitioned.p50Ms} ms, max ${result.partitioned.maxMs} ms ` +
        `(lease ${LEASE_MS} ms); stale ${connectedStale + partitionedStale}`,
    );
    // The announcer waits for a silent holder until its lease ends, plus the drift margin
    // (max(50 ms, 10 % of the lease)); a little more for scheduling on a busy machine.
    const bound = LEASE_MS + Math.max(50, LEASE_MS / 10) + 250;
    const targets: TargetCheck[] = [
      atMost('one holder cut off: longest invalidate()', result.partitioned.maxMs, bound, 'ms', 0),
      atMost(
        'pages rendered before an invalidation served after it',
        connectedStale + partitionedStale,
        0,
        'pages',
        0,
      ),
    ];
    return { ...result, targets };
  } finally {
    proxy.heal();
    await stopAll(apps);
    await proxy.close();
    await redis.stop();
  }
}

function summarize(reachable: number, samples: number[], stale: number): NearInvalidationCase {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    reachable,
    samplesMs: roundAll(samples, 2),
    p50Ms: round(median(samples), 2),
    p99Ms: round(at(0.99), 2),
    maxMs: round(sorted[sorted.length - 1]!, 2),
    stale,
  };
}

/** Waits until the app holds a lease (its near copies are served). */
async function untilLeaseHeld(app: AppProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const near = await (await fetch(`${app.url}/__bench/near`)).json().catch(() => null);
    if ((near as { lease?: string } | null)?.lease === 'held') return;
    if (Date.now() > deadline) {
      throw new Error(`${app.name}: no near lease within 15 s\n${app.output()}`);
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/** Reads every page twice: a fill if missing, then a read from Redis that installs a copy. */
async function holdCopies(app: AppProcess): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    await Promise.all(Array.from({ length: PAGES }, (_, n) => getPage(app, n)));
  }
}

/** Reads every page once: @returns how many were rendered before `began` (ms since epoch). */
async function staleReads(app: AppProcess, began: number): Promise<number> {
  const pages = await Promise.all(Array.from({ length: PAGES }, (_, n) => getPage(app, n)));
  return pages.filter(page => page.renderedAt < began).length;
}

async function getPage(app: AppProcess, n: number): Promise<{ renderedAt: number }> {
  const response = await fetch(`${app.url}/articles/${n}`);
  if (response.status !== 200)
    throw new Error(`${app.name}: GET /articles/${n}: ${response.status}`);
  return (await response.json()) as { renderedAt: number };
}

async function post<T>(app: AppProcess, path: string): Promise<T> {
  const response = await fetch(`${app.url}${path}`, { method: 'POST' });
  if (response.status >= 300) {
    throw new Error(`POST ${path}: ${response.status} ${await response.text()}\n${app.output()}`);
  }
  return (await response.json()) as T;
}
