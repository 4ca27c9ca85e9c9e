import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWrk } from '../../bench/lib/load.js';
import { README_END, README_START, spliceReadme } from '../../bench/lib/report.js';
import type { BenchResults } from '../../bench/lib/results.js';
import { METHOD_CONTENDERS } from '../../bench/apps/method-app.js';
import { ADAPTERS, HIT_CONTENDERS } from '../../bench/scenarios/hit.js';
import { STATISTICS_APPS } from '../../bench/scenarios/statistics.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `npm run bench` (as its script does) with `args`; resolves with its exit code and output. */
function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', './test/support/ts-register.mjs', 'bench/run.ts', ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('exit', code => resolve({ code, output }));
  });
}

function expectPositive(value: unknown, what: string): void {
  expect(typeof value, what).toBe('number');
  expect(Number.isFinite(value) && (value as number) > 0, `${what} = ${String(value)}`).toBe(true);
}

describe('the benchmark runner', () => {
  const dirs: string[] = [];
  const readme = join(ROOT, 'docs/benchmarks.md');
  const readmeBefore = existsSync(readme) ? readFileSync(readme, 'utf8') : undefined;

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs one scenario in quick mode into a directory of its own (so runs of one day are not
   * merged); @returns the results file it wrote and the directory.
   */
  async function runQuick(scenario: string): Promise<{ results: BenchResults; out: string }> {
    const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
    dirs.push(out);
    const args = ['--quick', '--scenario', scenario, '--connections', '10', '--out', out];
    const { code, output } = await runBench([...args, '--no-readme']);
    expect(code, output).toBe(0);
    const files = readdirSync(out);
    const json = files.find(name => /^\d{4}-\d{2}-\d{2}\.json$/.test(name));
    expect(json, files.join(', ')).toBeDefined();
    const results = JSON.parse(readFileSync(join(out, json!), 'utf8')) as BenchResults;
    return { results, out };
  }

  it('measures what the outbox costs a write, and invalidates a big index, in quick mode', async () => {
    const outbox = (await runQuick('outbox')).results.scenarios.outbox!;
    expect(outbox.withOutbox).toHaveLength(1);
    expectPositive(outbox.withOutbox[0]!, 'saves/s with the outbox');
    expectPositive(outbox.withoutOutbox[0]!, 'saves/s without it');
    expect(outbox.medianRatio).toBeCloseTo(outbox.withOutbox[0]! / outbox.withoutOutbox[0]!, 2);

    const big = (await runQuick('big-index')).results.scenarios['big-index']!;
    expect(big).toMatchObject({ members: 20_000, removed: 20_000 });
    expectPositive(big.longestRedisCommandUs, 'longest Redis command');
  }, 120_000);

  it('compares a @Cached hit with getOrSet and cache-manager in quick mode', async () => {
    const { results } = await runQuick('cached-method');
    expect(Object.keys(results.scenarios)).toEqual(['cached-method']);
    const scenario = results.scenarios['cached-method']!;
    expect(scenario.concurrency).toBe(10);
    for (const contender of METHOD_CONTENDERS) {
      const figures = scenario.contenders[contender];
      expect(figures.callsPerS, contender).toHaveLength(1);
      expectPositive(figures.medianCallsPerS, `${contender} calls/s`);
      expectPositive(figures.medianUsPerCall, `${contender} µs per call`);
    }
    // The ratios are the contenders' own figures divided.
    const { contenders } = scenario;
    expect(scenario.overGetOrSet.models.ratio).toBeCloseTo(
      contenders.cached.callsPerS[0]! / contenders.getOrSet.callsPerS[0]!,
      2,
    );
    expect(scenario.overGetOrSet.plain.extraUs).toBeCloseTo(
      contenders['cached-plain'].usPerCall[0]! - contenders['getOrSet-plain'].usPerCall[0]!,
      0,
    );
    expectPositive(scenario.versusCacheManager, 'vs cache-manager');
  }, 120_000);

  // The whole quick run takes about two minutes here (a dozen app processes start); the hit path
  // alone checks the runner end to end: processes, load tool, interleaving, JSON, chart.
  it('runs the hit path in quick mode and writes results of the expected shape', async () => {
    const { results, out } = await runQuick('hit');
    expect(results).toMatchObject({ schema: 1, quick: true, settings: { connections: 10 } });
    expectPositive(results.machine.cores, 'machine.cores');
    expect(results.machine.node).toBe(process.version);
    expect(['wrk', 'autocannon']).toContain(results.tool.name);

    const hit = results.scenarios.hit!;
    expect(Object.keys(results.scenarios)).toEqual(['hit']);
    expect(hit.pageBytes).toBeGreaterThan(13_000);
    expect(hit.pageBytes).toBeLessThan(14_500);
    // Every contender but the limit runs between two runs of its adapter's limit (L A L B L …).
    const others = HIT_CONTENDERS.filter(contender => contender !== 'limit');
    for (const adapter of ADAPTERS) {
      const limitRuns = hit.adapters[adapter].limit!.rps;
      expect(limitRuns, `${adapter}/limit`).toHaveLength(others.length + 1);
      for (const contender of HIT_CONTENDERS) {
        const what = `${adapter}/${contender}`;
        const figures = hit.adapters[adapter][contender]!;
        expect(figures, what).toBeDefined();
        if (contender !== 'limit') expect(figures.rps, what).toHaveLength(1);
        expectPositive(figures.medianRps, `${what} medianRps`);
        expectPositive(figures.medianRatio, `${what} medianRatio`);
        expectPositive(figures.p99Ms, `${what} p99Ms`);
        expect(figures.errors, what).toBe(0);
      }
      // Each ratio is taken against the mean of the two limit runs beside it.
      others.forEach((contender, k) => {
        const figures = hit.adapters[adapter][contender]!;
        const beside = (limitRuns[k]! + limitRuns[k + 1]!) / 2;
        expect(figures.ratios[0], `${adapter}/${contender}`).toBeCloseTo(
          figures.rps[0]! / beside,
          2,
        );
      });
      expect(hit.adapters[adapter].limit!.medianRatio).toBe(1);
      expectPositive(hit.versusCacheManager[adapter].median, `${adapter} vs cache-manager`);
    }
    // The Redis store's four, and near copies' three where the library takes `near`.
    expect(hit.targets).toHaveLength(hit.skipped?.['lib-redis-near'] ? 4 : 7);
    for (const check of hit.targets) {
      expect(check.met || (check.gap ?? '').length > 0, check.what).toBe(true);
    }

    const svg = readFileSync(join(out, 'hit-path.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain(`Node ${process.version}`);
    expect(svg).toContain(results.tool.name);

    // --no-readme: the benchmark page of the docs is left alone.
    expect(existsSync(readme) ? readFileSync(readme, 'utf8') : undefined).toBe(readmeBefore);
  }, 240_000);

  it('compares statistics on and off, with an A/A control, on both adapters', async () => {
    const { results } = await runQuick('statistics');
    expect(Object.keys(results.scenarios)).toEqual(['statistics']);
    const statistics = results.scenarios.statistics!;
    expect(statistics.rounds).toBe(1);
    for (const adapter of ADAPTERS) {
      const figures = statistics.adapters[adapter];
      for (const app of STATISTICS_APPS) {
        expect(figures.rps[app], `${adapter}/${app}`).toHaveLength(1);
        expectPositive(figures.rps[app][0], `${adapter}/${app} req/s`);
      }
      expect(figures.errors).toBe(0);
      // The ratios are the apps' own req/s divided, round by round.
      expect(figures.onOff.ratios[0]).toBeCloseTo(figures.rps.on[0] / figures.rps.off[0], 2);
      expect(figures.control.ratios[0]).toBeCloseTo(
        figures.rps['on-again'][0] / figures.rps.on[0],
        2,
      );
    }
    // Counting costs something when on, and on costs more than the early return of off.
    expectPositive(statistics.counting.nsPerHitOn, 'nsPerHitOn');
    expect(statistics.counting.nsPerHitOn).toBeGreaterThan(statistics.counting.nsPerHitOff);
    expect(statistics.targets.map(check => check.what)).toEqual([
      'Express: statistics on ÷ off (req/s)',
      'Fastify: statistics on ÷ off (req/s)',
    ]);
  }, 120_000);

  it('replaces only the marked README section, or appends one under a heading', () => {
    const before = `# Title\n\nIntro.\n\n${README_START}\nold\n${README_END}\n\n## After\n`;
    expect(spliceReadme(before, 'new')).toBe(
      `# Title\n\nIntro.\n\n${README_START}\nnew\n${README_END}\n\n## After\n`,
    );
    expect(spliceReadme('# Title\n\nIntro.\n', 'new')).toBe(
      `# Title\n\nIntro.\n\n## Benchmarks\n\n${README_START}\nnew\n${README_END}\n`,
    );
  });

  it("reads wrk's text summary when its report script is not used", () => {
    const result = parseWrk(`Running 5s test @ http://127.0.0.1:3000/page
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    1.02ms  20.50ms   90.00%
    Req/Sec     9.80k   500.00    10.50k    80.00%
  Latency Distribution
     50%    4.90ms
     75%    5.30ms
     90%    6.00ms
     99%    9.10ms
  49000 requests in 5.00s, 650.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:   9800.00
Transfer/sec:    130.00MB
`);
    expect(result).toEqual({
      requests: 49_000,
      durationS: 5,
      rps: 9_800,
      latencyMs: { mean: 5.12, p50: 4.9, p99: 9.1, max: 20.5 },
      errors: { socket: 2, timeouts: 1, non2xx: 3, total: 6 },
    });
  });
});
