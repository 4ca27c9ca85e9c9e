// `npm run bench`: the benchmark suite (see bench/README.md, and `npm run bench -- --help`).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findExecutable, REDIS_INSTALL_HINT, RedisServer } from '../test/support/redis-server.js';
import type { BenchContext } from './lib/context.js';
import { pickTool, type ToolChoice } from './lib/load.js';
import { describeMachine, machineLabel } from './lib/machine.js';
import { ROOT } from './lib/processes.js';
import { hitPathSvg, markdownReport, spliceReadme, wrapProse } from './lib/report.js';
import { SCENARIOS, type BenchResults, type ScenarioName } from './lib/results.js';
import type { TargetCheck } from './lib/targets.js';
import { runHang } from './scenarios/hang.js';
import { runHit } from './scenarios/hit.js';
import { runInvalidation } from './scenarios/invalidation.js';
import { runBigIndex } from './scenarios/big-index.js';
import { runCachedMethod } from './scenarios/cached-method.js';
import { runCompression } from './scenarios/compression.js';
import { runNearInvalidation } from './scenarios/near-invalidation.js';
import { runOutbox } from './scenarios/outbox.js';
import { runProfile } from './scenarios/profile.js';
import { runRealPage } from './scenarios/real-page.js';
import { runStampede } from './scenarios/stampede.js';
import { runStatistics } from './scenarios/statistics.js';

const USAGE = `Usage: npm run bench -- [options]

  --quick               every scenario for about a second (checks the runner works; figures are
                        not meaningful). Writes to a temp dir and leaves docs/benchmarks.md alone unless
                        --out / --readme say otherwise.
  --scenario <names>    comma-separated subset of: ${SCENARIOS.join(', ')} (default: all)
  --out <dir>           where <date>.json and hit-path.svg go (default: bench/results)
  --no-readme           do not regenerate the section of docs/benchmarks.md
  --readme              regenerate it even in quick mode
  --report-only         measure nothing: regenerate the chart and the docs section from the
                        latest <date>.json in the output directory
  --tool <name>         auto (default: wrk if on PATH, else autocannon) | wrk | autocannon
  --rounds <n>          interleaved rounds (default 5; quick 1; the statistics scenario runs at
                        least 12 unless quick)
  --duration <s>        seconds per load run (default 5; quick 1)
  --warmup <s>          seconds of unmeasured load right before each measured run (default 1;
                        quick 0)
  --connections <n>     concurrent connections (default 50)
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    out: { type: 'string' },
    readme: { type: 'boolean' },
    'no-readme': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    tool: { type: 'string', default: 'auto' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function integer(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
}

const quick = values.quick;
const selected: ScenarioName[] = values.scenario
  ? values.scenario
      .flatMap(list => list.split(','))
      .map(name => {
        const scenario = name.trim() as ScenarioName;
        if (!SCENARIOS.includes(scenario)) {
          throw new Error(
            `unknown scenario ${JSON.stringify(name)}; known: ${SCENARIOS.join(', ')}`,
          );
        }
        return scenario;
      })
  : [...SCENARIOS];
const explicitOut = values.out !== undefined;
const outDir = explicitOut
  ? resolve(values.out!)
  : quick
    ? mkdtempSync(join(tmpdir(), 'bench-quick-'))
    : join(ROOT, 'bench/results');
const writeReadme = values['no-readme'] ? false : (values.readme ?? (!quick || explicitOut));
const tool = values.tool as ToolChoice;
if (!['auto', 'wrk', 'autocannon'].includes(tool)) throw new Error(`unknown --tool ${tool}`);

/** Writes the chart and (unless told not to) the section of docs/benchmarks.md; prints targets. */
function publish(results: BenchResults, jsonPath: string): void {
  const svgPath = join(dirname(jsonPath), 'hit-path.svg');
  if (results.scenarios.hit) writeFileSync(svgPath, hitPathSvg(results, results.scenarios.hit));
  if (writeReadme) {
    // The benchmark page of the docs; links in it are relative to docs/.
    const readmePath = join(ROOT, 'docs/benchmarks.md');
    const link = (path: string): string => {
      const rel = relative(ROOT, path);
      return isAbsolute(rel) || rel.startsWith('..') ? path : `../${rel.split('\\').join('/')}`;
    };
    const section = wrapProse(
      markdownReport(results, { json: link(jsonPath), svg: link(svgPath) }),
    );
    const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : undefined;
    writeFileSync(readmePath, spliceReadme(readme, section));
    process.stdout.write('docs/benchmarks.md: benchmark section regenerated\n');
  }
  process.stdout.write(`results: ${jsonPath}\n`);
  for (const [name, scenario] of Object.entries(results.scenarios)) {
    const checks = (scenario as { targets?: TargetCheck[] }).targets;
    for (const check of checks ?? []) {
      process.stdout.write(
        `  ${check.met ? 'met   ' : 'MISSED'} ${name}: ${check.what}: ${check.measured} (target ${check.target})\n`,
      );
    }
  }
}

if (values['report-only']) {
  const latest = existsSync(outDir)
    ? readdirSync(outDir)
        .filter(name => /^\d{4}-\d{2}-\d{2}\.json$/.test(name))
        .sort()
        .pop()
    : undefined;
  if (!latest) {
    process.stderr.write(`--report-only: no <date>.json in ${outDir}\n`);
    process.exit(1);
  }
  const path = join(outDir, latest);
  publish(JSON.parse(readFileSync(path, 'utf8')) as BenchResults, path);
  process.exit(0);
}

if (!findExecutable('redis-server')) {
  process.stderr.write(`The benchmarks need redis-server. ${REDIS_INSTALL_HINT}\n`);
  process.exit(1);
}
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const servers = new Set<RedisServer>();
const ctx: BenchContext = {
  quick,
  tool: await pickTool(tool),
  connections: integer('connections', values.connections, 50),
  rounds: integer('rounds', values.rounds, quick ? 1 : 5),
  durationS: integer('duration', values.duration, quick ? 1 : 5),
  warmupS: integer('warmup', values.warmup, quick ? 0 : 1, 0),
  log: message => process.stdout.write(`${message}\n`),
  async startRedis(args = []) {
    const server = await RedisServer.start({ args });
    servers.add(server);
    const stop = server.stop.bind(server);
    server.stop = async () => {
      servers.delete(server);
      await stop();
    };
    return server;
  },
};

const machine = describeMachine();
const startedAt = new Date();
ctx.log(
  `bench${quick ? ' --quick' : ''}: ${selected.join(', ')} · ${machineLabel(machine)} · ` +
    `${ctx.tool.name} ${ctx.tool.version}, ${ctx.connections} connections, ${ctx.rounds} rounds × ${ctx.durationS} s`,
);

const results: BenchResults = {
  schema: 1,
  date: startedAt.toISOString().slice(0, 10),
  startedAt: startedAt.toISOString(),
  finishedAt: '',
  quick,
  machine,
  loadAverage: { atStart: loadavg().map(n => Math.round(n * 100) / 100), atEnd: [] as number[] },
  tool: { name: ctx.tool.name, version: ctx.tool.version },
  settings: {
    connections: ctx.connections,
    rounds: ctx.rounds,
    durationS: ctx.durationS,
    warmupS: ctx.warmupS,
  },
  scenarios: {},
};

try {
  for (const scenario of SCENARIOS) {
    if (!selected.includes(scenario)) continue;
    const started = Date.now();
    ctx.log(`[${scenario}]`);
    switch (scenario) {
      case 'hit':
        results.scenarios.hit = await runHit(ctx);
        break;
      case 'statistics':
        results.scenarios.statistics = await runStatistics(ctx);
        break;
      case 'real-page':
        results.scenarios['real-page'] = await runRealPage(ctx);
        break;
      case 'invalidation':
        results.scenarios.invalidation = await runInvalidation(ctx);
        break;
      case 'stampede':
        results.scenarios.stampede = await runStampede(ctx);
        break;
      case 'hang':
        results.scenarios.hang = await runHang(ctx);
        break;
      case 'profile':
        results.scenarios.profile = await runProfile(ctx);
        break;
      case 'outbox':
        results.scenarios.outbox = await runOutbox(ctx);
        break;
      case 'big-index':
        results.scenarios['big-index'] = await runBigIndex(ctx);
        break;
      case 'cached-method':
        results.scenarios['cached-method'] = await runCachedMethod(ctx);
        break;
      case 'compression':
        results.scenarios.compression = await runCompression(ctx);
        break;
      case 'near-invalidation':
        results.scenarios['near-invalidation'] = await runNearInvalidation(ctx);
        break;
    }
    ctx.log(`[${scenario}] done in ${Math.round((Date.now() - started) / 1000)} s`);
  }
} catch (error) {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await Promise.all([...servers].map(server => server.stop()));
  process.exit(1);
}
await Promise.all([...servers].map(server => server.stop()));
results.finishedAt = new Date().toISOString();
results.loadAverage!.atEnd = loadavg().map(n => Math.round(n * 100) / 100);

// A partial run on the same day completes that day's file rather than dropping the others.
mkdirSync(outDir, { recursive: true });
const jsonPath = join(outDir, `${results.date}.json`);
let merged = results;
if (selected.length < SCENARIOS.length && existsSync(jsonPath)) {
  const previous = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchResults;
  if (previous.schema === 1 && previous.quick === quick) {
    merged = { ...results, scenarios: { ...previous.scenarios, ...results.scenarios } };
  }
}
writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
publish(merged, jsonPath);
process.exit(0);
