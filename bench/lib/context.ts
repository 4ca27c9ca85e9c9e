import { RedisServer } from '../../test/support/redis-server.js';
import { processCpuUs } from './cpu.js';
import type { LoadOptions, LoadResult, LoadTool } from './load.js';

/** Settings and shared resources of one run, handed to every scenario. */
export interface BenchContext {
  quick: boolean;
  tool: LoadTool;
  connections: number;
  /** Interleaved rounds of the load scenarios. */
  rounds: number;
  /** Length of one load run (s). */
  durationS: number;
  /** Unmeasured load on an app right before each measured run of it (s); 0 = none. */
  warmupS: number;
  log(message: string): void;
  /** Starts a redis-server of the run's own (stopped at the end of the run). */
  startRedis(args?: string[]): Promise<RedisServer>;
}

/** One contender of an interleaved comparison. */
export interface LoadTarget {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** The app's process, to measure the CPU time it spends per request. */
  pid?: number;
}

/** A load run, with the CPU time the app used per request (µs) when it could be measured. */
export interface MeasuredRun extends LoadResult {
  cpuUsPerRequest?: number;
  /**
   * With a reference (`interleave`'s `referenceOf`): the reference's req/s and CPU per request in
   * the runs right before and after this one, averaged — what this run is compared with.
   */
  reference?: { rps: number; cpuUsPerRequest?: number };
}

/**
 * Order of the targets within each round. `fixed`: A B C in every round. `balanced`: the rounds
 * cycle through every permutation, so each target runs equally often in each position and before
 * each other one — for comparisons too close for a fixed order's bias to be ignored.
 */
export type RoundOrder = 'fixed' | 'balanced';

/**
 * Runs the targets interleaved, `rounds` rounds of every target, each run right after a warm-up
 * of its own target, so that noise on the shared machine hits every contender alike. With
 * `referenceOf`, every other target runs between two runs of its reference (R A R B R …, a run
 * shared by its neighbours), and is compared with their mean (`MeasuredRun.reference`): the
 * machine's speed drifts over tens of seconds, too slowly for a round of many targets to cancel. @returns each target's runs, in
 * round order (a reference's: every run of it).
 */
export async function interleave(
  ctx: BenchContext,
  targets: readonly LoadTarget[],
  label: string,
  order: RoundOrder = 'fixed',
  referenceOf?: (target: LoadTarget) => LoadTarget | undefined,
): Promise<Map<string, MeasuredRun[]>> {
  const runs = new Map<string, MeasuredRun[]>(targets.map(target => [target.name, []]));
  const load = async (target: LoadTarget, durationS: number): Promise<MeasuredRun> => {
    const options: LoadOptions = {
      url: target.url,
      connections: ctx.connections,
      durationS,
      headers: target.headers,
    };
    const before = target.pid === undefined ? undefined : processCpuUs(target.pid);
    const result: MeasuredRun = await ctx.tool.run(options);
    const after = target.pid === undefined ? undefined : processCpuUs(target.pid);
    if (before !== undefined && after !== undefined && result.requests > 0) {
      result.cpuUsPerRequest = (after - before) / result.requests;
    }
    return result;
  };
  const orders = order === 'balanced' ? permutations(targets) : [targets];
  for (let round = 1; round <= ctx.rounds; round++) {
    const line: string[] = [];
    const measure = async (target: LoadTarget): Promise<MeasuredRun> => {
      // Warmed right before: a target idle while the others ran (V8 shrinks an idle heap) would
      // otherwise be measured colder than the reference, which runs every other time.
      if (ctx.warmupS > 0) await load(target, ctx.warmupS);
      const result = await load(target, ctx.durationS);
      runs.get(target.name)!.push(result);
      line.push(`${target.name} ${Math.round(result.rps)}`);
      return result;
    };
    /** The reference's last run, while nothing else ran after it. */
    let last: { target: LoadTarget; run: MeasuredRun } | undefined;
    for (const target of orders[(round - 1) % orders.length]) {
      const reference = referenceOf?.(target);
      if (reference === undefined) {
        await measure(target);
        last = undefined;
        continue;
      }
      // A reference runs only around the others.
      if (reference.name === target.name) continue;
      const before = last?.target.name === reference.name ? last.run : await measure(reference);
      const result = await measure(target);
      const after = await measure(reference);
      last = { target: reference, run: after };
      result.reference = {
        rps: (before.rps + after.rps) / 2,
        ...(before.cpuUsPerRequest !== undefined && after.cpuUsPerRequest !== undefined
          ? { cpuUsPerRequest: (before.cpuUsPerRequest + after.cpuUsPerRequest) / 2 }
          : {}),
      };
    }
    ctx.log(`  ${label} round ${round}/${ctx.rounds}: ${line.join(' · ')}`);
  }
  return runs;
}

/** Every ordering of `items`, each item leading an equal share. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map(rest => [item, ...rest]),
  );
}
