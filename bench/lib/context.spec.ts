import { describe, expect, it } from 'vitest';
import { interleave, type BenchContext, type LoadTarget } from './context.js';
import type { LoadOptions, LoadResult } from './load.js';

/** A context whose load tool records each run (target, seconds) and measures nothing. */
function recordingContext(warmupS: number): { ctx: BenchContext; runs: string[] } {
  const runs: string[] = [];
  const ctx: BenchContext = {
    quick: false,
    connections: 1,
    rounds: 2,
    durationS: 3,
    warmupS,
    log: () => undefined,
    startRedis: () => Promise.reject(new Error('not used')),
    tool: {
      name: 'autocannon',
      version: 'test',
      run: (options: LoadOptions): Promise<LoadResult> => {
        runs.push(`${options.url}:${options.durationS}`);
        return Promise.resolve({
          requests: 300,
          durationS: options.durationS,
          rps: 100,
          latencyMs: { mean: 1, p50: 1, p99: 1, max: 1 },
          errors: { socket: 0, timeouts: 0, non2xx: 0, total: 0 },
        });
      },
    },
  };
  return { ctx, runs };
}

const targets: LoadTarget[] = ['L', 'A', 'B'].map(name => ({ name, url: name }));

describe('interleave', () => {
  it('warms each measured run up right before it, the reference included', async () => {
    const { ctx, runs } = recordingContext(1);
    await interleave(ctx, targets, 'test', 'fixed', () => targets[0]);
    // Idle while the others ran, a contender would be measured colder than the reference, which
    // runs every other time: every 3 s run follows a 1 s run of its own target.
    const measured = runs.flatMap((run, i) => (run.endsWith(':3') ? [i] : []));
    expect(measured.length).toBeGreaterThan(0);
    for (const i of measured) expect(runs[i - 1]).toBe(`${runs[i]!.split(':')[0]}:1`);
    // L A L B L per round, the L after A shared by B.
    const round = ['L:3', 'A:3', 'L:3', 'B:3', 'L:3'];
    expect(runs.filter(run => run.endsWith(':3'))).toEqual([...round, ...round]);
  });

  it('measures without warm-ups when there are none', async () => {
    const { ctx, runs } = recordingContext(0);
    await interleave(ctx, targets, 'test');
    expect(runs).toEqual(['L:3', 'A:3', 'B:3', 'L:3', 'A:3', 'B:3']);
  });
});
