import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { processCpuUs } from '../lib/cpu.js';
import { ROOT, startApp, type AppProcess } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import { ADAPTERS, type Adapter } from './hit.js';

const TOP = 15;

export interface ProfileFrame {
  function: string;
  /** File (relative to the repository, or `node:…`), and the line for JavaScript files. */
  location: string;
  category: string;
  /** Share of the profiled non-idle time spent in this frame itself (%). */
  selfPct: number;
}

export type ProfiledContender = 'limit' | 'lib-redis' | 'lib-redis-near' | 'lib-memory';

export interface ProfileCase {
  adapter: Adapter;
  contender: ProfiledContender;
  rps: number;
  requests: number;
  /** Which samples count: those taken under load, or (if that failed) all. */
  window: 'load' | 'whole process';
  /** Sampled non-idle time (ms). */
  busyMs: number;
  /** CPU time of the app process per request (µs; from /proc on Linux, else the profile). */
  busyUsPerRequest: number;
  /** Idle share of the whole profile (%): how much the app waited (on Redis, on the network). */
  idlePct: number;
  /** Self time by area: share of the busy time, and µs per request. */
  categories: { category: string; selfPct: number; usPerRequest: number }[];
  top: ProfileFrame[];
}

export interface ProfileResult {
  durationS: number;
  cases: ProfileCase[];
}

interface CpuProfile {
  startTime: number;
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * CPU profiles (`node --cpu-prof`) of this library's Redis-store app and of the limit app under the
 * hit-path load: the frames with the most self time, and CPU time per request by area (library,
 * Nest, HTTP adapter, …), so the difference shows where the library's extra cost goes.
 */
export async function runProfile(ctx: BenchContext): Promise<ProfileResult> {
  const durationS = ctx.quick ? 1 : 6;
  const redis = await ctx.startRedis();
  const cases: ProfileCase[] = [];
  try {
    for (const adapter of ADAPTERS) {
      for (const contender of ['limit', 'lib-redis', 'lib-redis-near', 'lib-memory'] as const) {
        const dir = mkdtempSync(join(tmpdir(), 'bench-cpuprof-'));
        let app: AppProcess | undefined;
        try {
          app = await startApp({
            name: `profile/${adapter}/${contender}`,
            script: 'bench/apps/page-app.ts',
            args: ['--adapter', adapter, '--contender', contender],
            env: { REDIS_URL: redis.url, BENCH_KEY_PREFIX: `profile-${adapter}` },
            nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
          });
          const url = `${app.url}/page`;
          if (ctx.warmupS > 0) {
            await ctx.tool.run({ url, connections: ctx.connections, durationS: ctx.warmupS });
          }
          const from = nowUs();
          const cpuBefore = processCpuUs(app.pid);
          const load = await ctx.tool.run({ url, connections: ctx.connections, durationS });
          const cpuAfter = processCpuUs(app.pid);
          const to = nowUs();
          await app.stop();
          const file = readdirSync(dir).find(name => name.endsWith('.cpuprofile'));
          if (!file) throw new Error(`${app.name}: no CPU profile written in ${dir}`);
          const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
          const summary = summarize(profile, { from, to });
          // CPU time from /proc where available: the profile's busy time also counts the moments
          // the process was runnable but waiting for a core, which other processes inflate.
          const busyUs =
            cpuBefore !== undefined && cpuAfter !== undefined
              ? cpuAfter - cpuBefore
              : summary.busyMs * 1000;
          const perRequest = busyUs / Math.max(1, load.requests);
          cases.push({
            adapter,
            contender,
            rps: round(load.rps, 0),
            requests: load.requests,
            window: summary.window,
            busyMs: summary.busyMs,
            busyUsPerRequest: round(perRequest, 1),
            idlePct: summary.idlePct,
            categories: summary.categories.map(c => ({
              ...c,
              usPerRequest: round((c.selfPct / 100) * perRequest, 1),
            })),
            top: summary.top,
          });
          ctx.log(
            `  profile ${adapter}/${contender}: ${round(perRequest, 1)} µs of CPU per request; ` +
              summary.categories
                .slice(0, 4)
                .map(c => `${c.category} ${c.selfPct} %`)
                .join(', '),
          );
        } finally {
          await app?.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    return { durationS, cases };
  } finally {
    await redis.stop();
  }
}

/** Microseconds on the monotonic clock, which V8's profiler timestamps use too. */
function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Self time per frame and per area, from a .cpuprofile, counting only the samples taken while the
 * load ran (`window`, monotonic µs), so that startup (module loading) stays out. Falls back to the
 * whole profile if no sample lies in the window.
 */
export function summarize(
  profile: CpuProfile,
  window?: { from: number; to: number },
): {
  window: 'load' | 'whole process';
  busyMs: number;
  idlePct: number;
  categories: { category: string; selfPct: number }[];
  top: ProfileFrame[];
} {
  const byId = new Map(profile.nodes.map(node => [node.id, node]));
  const self = new Map<number, number>();
  const stamps: number[] = [];
  let at = profile.startTime;
  for (const delta of profile.timeDeltas) stamps.push((at += delta));
  const inWindow = (i: number): boolean =>
    window === undefined || (stamps[i] >= window.from && stamps[i] <= window.to);
  const windowed = window !== undefined && stamps.some((_, i) => inWindow(i));
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    if (windowed && !inWindow(i)) return;
    // The delta before the next sample is the time spent in this one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    total += us;
    if (byId.get(id)?.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    self.set(id, (self.get(id) ?? 0) + us);
  });
  const busy = total - idle;
  const frames = new Map<string, ProfileFrame & { us: number }>();
  const categories = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    // Lines of .ts files are those of the transpiled output, so only the file is shown.
    const location = !url
      ? '(native)'
      : url.endsWith('.ts')
        ? shortUrl(url)
        : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${functionName}@${location}`;
    const category = categorize(functionName, url);
    const frame = frames.get(key) ?? {
      function: functionName || '(anonymous)',
      location,
      category,
      selfPct: 0,
      us: 0,
    };
    frame.us += us;
    frames.set(key, frame);
    categories.set(category, (categories.get(category) ?? 0) + us);
  }
  const pct = (us: number): number => round((us / busy) * 100, 1);
  return {
    window: windowed ? 'load' : 'whole process',
    busyMs: round(busy / 1000, 0),
    idlePct: round((idle / total) * 100, 1),
    categories: [...categories]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, selfPct: pct(us) })),
    top: [...frames.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, TOP)
      .map(({ us, ...frame }) => ({ ...frame, selfPct: pct(us) })),
  };
}

function shortUrl(url: string): string {
  const root = `file://${ROOT}`;
  let path = url.startsWith(root) ? url.slice(root.length) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules !== -1) path = path.slice(modules + 'node_modules/'.length);
  return path;
}

function categorize(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || !url) return 'native (syscalls, V8)';
  if (url.includes('/libs/page-cache/')) return 'nestjs-page-cache';
  if (url.includes('/bench/')) return 'benchmark app';
  if (url.startsWith('node:internal/modules')) return 'module loading';
  if (url.startsWith('node:')) return 'Node core (http, net, streams)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (!pkg) return 'other';
  if (pkg.startsWith('@nestjs/')) return 'Nest';
  if (
    ['ioredis', 'redis-parser', 'denque', 'cluster-key-slot', 'standard-as-callback'].includes(pkg)
  ) {
    return 'ioredis';
  }
  if (pkg === 'rxjs' || pkg === 'tslib') return 'rxjs';
  if (
    pkg === 'fastify' ||
    pkg.startsWith('@fastify/') ||
    ['find-my-way', 'light-my-request', 'avvio'].includes(pkg)
  ) {
    return 'Fastify';
  }
  if (
    [
      'express',
      'router',
      'send',
      'finalhandler',
      'body-parser',
      'path-to-regexp',
      'on-finished',
      'encodeurl',
      'parseurl',
      'qs',
      'content-type',
      'type-is',
      'accepts',
      'fresh',
      'etag',
      'mime-types',
      'vary',
      'depd',
    ].includes(pkg)
  ) {
    return 'Express';
  }
  return pkg;
}
