import http from 'node:http';
import type { BenchContext } from '../lib/context.js';
import { startApp, stopAll, type AppProcess } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { atMost, type TargetCheck } from '../lib/targets.js';

const REQUESTS = 200;
const HOST = 'stampede.bench.local';
const RENDER_MS = 50;
const CONTENDERS = ['lib-redis', 'cache-manager'] as const;
type StampedeContender = (typeof CONTENDERS)[number];

export interface StampedeRound {
  /** Handler runs for the one cold page. */
  runs: number;
  /** Responses other than 200. */
  failed: number;
  /** Until the last of the 200 answers arrived (ms). */
  ms: number;
}

export interface StampedeCase {
  contender: StampedeContender;
  processes: number;
  rounds: StampedeRound[];
  medianRuns: number;
  maxRuns: number;
}

export interface StampedeResult {
  requests: number;
  renderMs: number;
  cases: StampedeCase[];
  targets: TargetCheck[];
}

/**
 * Scenario 4: 200 concurrent requests for a cold page whose render takes 50 ms, on one process and
 * on two sharing Redis; counts how often the handler ran.
 */
export async function runStampede(ctx: BenchContext): Promise<StampedeResult> {
  const rounds = ctx.quick ? 1 : 5;
  const redis = await ctx.startRedis();
  const apps: AppProcess[] = [];
  try {
    const cases: StampedeCase[] = [];
    for (const contender of CONTENDERS) {
      // Two processes sharing Redis and one key prefix: the one-process case uses the first.
      const pair = await Promise.all(
        [1, 2].map(n =>
          startApp({
            name: `stampede/${contender}/${n}`,
            script: 'bench/apps/page-app.ts',
            args: ['--adapter', 'express', '--contender', contender],
            env: { REDIS_URL: redis.url, BENCH_KEY_PREFIX: `stampede-${contender}` },
          }),
        ),
      );
      apps.push(...pair);
      for (const processes of [1, 2]) {
        const targets = pair.slice(0, processes);
        const agents = targets.map(
          () => new http.Agent({ keepAlive: true, maxSockets: REQUESTS / processes }),
        );
        try {
          // Opens every connection first, so that the 200 requests leave at once.
          await Promise.all(
            Array.from({ length: REQUESTS }, (_, i) =>
              get(targets[i % processes], agents[i % processes], '/__bench/runs'),
            ),
          );
          const list: StampedeRound[] = [];
          for (let r = 0; r < rounds; r++) {
            const path = `/slow?cold=${processes}-${r}-${Date.now()}`;
            const before = await totalRuns(targets);
            const started = performance.now();
            const answers = await Promise.all(
              Array.from({ length: REQUESTS }, (_, i) =>
                get(targets[i % processes], agents[i % processes], path),
              ),
            );
            const ms = performance.now() - started;
            const runs = (await totalRuns(targets)) - before;
            list.push({
              runs,
              failed: answers.filter(a => a.status !== 200).length,
              ms: round(ms, 1),
            });
          }
          const runs = list.map(r => r.runs);
          const item: StampedeCase = {
            contender,
            processes,
            rounds: list,
            medianRuns: median(runs),
            maxRuns: Math.max(...runs),
          };
          cases.push(item);
          ctx.log(
            `  stampede ${contender}, ${processes} process(es): handler runs ${runs.join(', ')}`,
          );
        } finally {
          for (const agent of agents) agent.destroy();
        }
      }
    }
    const name = (c: StampedeContender): string =>
      c === 'lib-redis' ? 'nestjs-page-cache (Redis)' : '@nestjs/cache-manager';
    const targets = cases.map(item =>
      atMost(
        `${name(item.contender)}, ${item.processes} process${item.processes > 1 ? 'es' : ''}: handler runs (median)`,
        item.medianRuns,
        1,
        'runs',
        0,
      ),
    );
    return { requests: REQUESTS, renderMs: RENDER_MS, cases, targets };
  } finally {
    await stopAll(apps);
    await redis.stop();
  }
}

async function totalRuns(apps: readonly AppProcess[]): Promise<number> {
  let sum = 0;
  for (const app of apps) {
    const response = await fetch(`${app.url}/__bench/runs`);
    sum += ((await response.json()) as { runs: number }).runs;
  }
  return sum;
}

function get(app: AppProcess, agent: http.Agent, path: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    // One Host for every process, as behind a load balancer: the page key includes the Host.
    const request = http.get(
      { host: '127.0.0.1', port: app.port, path, agent, headers: { host: HOST } },
      response => {
        response.resume();
        response.once('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
    request.setTimeout(30_000, () => request.destroy(new Error(`GET ${path} timed out`)));
  });
}
