import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../test/support/redis-server.js';
import { ROOT } from './processes.js';

/** What one load run measured. */
export interface LoadResult {
  /** Completed requests (any status). */
  requests: number;
  durationS: number;
  /** Completed requests per second. */
  rps: number;
  latencyMs: { mean: number; p50: number; p99: number; max: number };
  /** Connection errors (connect, read, write), timeouts and responses outside 2xx/3xx. */
  errors: { socket: number; timeouts: number; non2xx: number; total: number };
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  /** A request slower than this counts as an error (timeout). Default 10 s. */
  timeoutS?: number;
}

/** A load generator. */
export interface LoadTool {
  name: 'wrk' | 'autocannon';
  version: string;
  run(options: LoadOptions): Promise<LoadResult>;
}

export type ToolChoice = 'auto' | 'wrk' | 'autocannon';

const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');

/**
 * wrk when it is on PATH (it costs the shared CPU less than a Node load generator), else
 * autocannon.
 */
export async function pickTool(choice: ToolChoice = 'auto'): Promise<LoadTool> {
  if (choice === 'wrk' || (choice === 'auto' && findExecutable('wrk'))) {
    if (!findExecutable('wrk')) throw new Error('--tool wrk: wrk is not on PATH');
    return wrk(await wrkVersion());
  }
  const pkg = JSON.parse(
    readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return autocannon(pkg.version);
}

async function wrkVersion(): Promise<string> {
  // `wrk -v` prints its version and usage, and exits with 1.
  const text = await new Promise<string>(resolve => {
    execFile('wrk', ['-v'], (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
  return /wrk\s+(?:\S*?\/)?(\d[\w.]*)/.exec(text)?.[1] ?? 'unknown';
}

// Prints wrk's own summary as one JSON line at the end of a run.
const WRK_REPORT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"meanUs":%.1f,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
`;

interface WrkJson {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

let wrkScript: string | undefined;

function wrk(version: string): LoadTool {
  return {
    name: 'wrk',
    version,
    async run(options) {
      if (wrkScript === undefined) {
        const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
        wrkScript = join(dir, 'report.lua');
        writeFileSync(wrkScript, WRK_REPORT);
      }
      const args = [
        '-t1',
        `-c${options.connections}`,
        `-d${Math.max(1, Math.round(options.durationS))}s`,
        '--timeout',
        `${options.timeoutS ?? 10}s`,
        '-s',
        wrkScript,
      ];
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        args.push('-H', `${name}: ${value}`);
      }
      args.push(options.url);
      const out = await spawnText('wrk', args);
      return parseWrk(out);
    },
  };
}

/** Reads wrk's output: the JSON line of the report script, else its text summary. */
export function parseWrk(out: string): LoadResult {
  const line = /^WRK_JSON (.*)$/m.exec(out)?.[1];
  if (line) {
    const w = JSON.parse(line) as WrkJson;
    const durationS = w.durationUs / 1e6;
    const socket = w.connect + w.read + w.write;
    return {
      requests: w.requests,
      durationS,
      rps: w.requests / durationS,
      latencyMs: {
        mean: w.meanUs / 1e3,
        p50: w.p50Us / 1e3,
        p99: w.p99Us / 1e3,
        max: w.maxUs / 1e3,
      },
      errors: {
        socket,
        timeouts: w.timeout,
        non2xx: w.status,
        total: socket + w.timeout + w.status,
      },
    };
  }
  // Text summary (wrk --latency without the script).
  const requests = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  if (!requests) throw new Error(`cannot parse wrk output:\n${out}`);
  const durationS = toMs(Number(requests[2]), requests[3]) / 1e3;
  const latency = /Latency\s+([\d.]+)(us|ms|s)\s+[\d.]+\w+\s+([\d.]+)(us|ms|s)/.exec(out);
  const percentile = (p: number): number => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? toMs(Number(m[1]), m[2]) : Number.NaN;
  };
  const socketErrors = /connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socket = socketErrors
    ? Number(socketErrors[1]) + Number(socketErrors[2]) + Number(socketErrors[3])
    : 0;
  const timeouts = socketErrors ? Number(socketErrors[4]) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requests: Number(requests[1]),
    durationS,
    rps: Number(requests[1]) / durationS,
    latencyMs: {
      mean: latency ? toMs(Number(latency[1]), latency[2]) : Number.NaN,
      p50: percentile(50),
      p99: percentile(99),
      max: latency ? toMs(Number(latency[3]), latency[4]) : Number.NaN,
    },
    errors: { socket, timeouts, non2xx, total: socket + timeouts + non2xx },
  };
}

function toMs(value: number, unit: string): number {
  switch (unit) {
    case 'us':
      return value / 1e3;
    case 's':
      return value * 1e3;
    case 'm':
      return value * 60e3;
    default:
      return value;
  }
}

interface AutocannonJson {
  requests: { total: number };
  duration: number;
  latency: { average: number; p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

function autocannon(version: string): LoadTool {
  return {
    name: 'autocannon',
    version,
    async run(options) {
      const args = [
        AUTOCANNON,
        '-c',
        String(options.connections),
        '-d',
        String(Math.max(1, Math.round(options.durationS))),
        '-t',
        String(options.timeoutS ?? 10),
        '-j',
        '-n',
      ];
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        args.push('-H', `${name}=${value}`);
      }
      args.push(options.url);
      const out = await spawnText(process.execPath, args);
      const a = JSON.parse(out.slice(out.indexOf('{'))) as AutocannonJson;
      // autocannon counts timeouts among its errors.
      const socket = Math.max(0, a.errors - a.timeouts);
      return {
        requests: a.requests.total,
        durationS: a.duration,
        rps: a.requests.total / a.duration,
        latencyMs: {
          mean: a.latency.average,
          p50: a.latency.p50,
          p99: a.latency.p99,
          max: a.latency.max,
        },
        errors: {
          socket,
          timeouts: a.timeouts,
          non2xx: a.non2xx,
          total: socket + a.timeouts + a.non2xx,
        },
      };
    },
  };
}

function spawnText(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', code => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}: ${stderr}${stdout}`));
    });
  });
}
