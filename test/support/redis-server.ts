import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import tls from 'node:tls';

import { freePort } from './free-port.js';

const HOST = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;
const COMMAND_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_CHARS = 4_000;
const START_ATTEMPTS = 5;

export const REDIS_INSTALL_HINT =
  'Install Redis so that `redis-server` and `redis-cli` are on PATH ' +
  '(Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`), ' +
  'or set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379) to use an existing server.';

export interface RedisServerOptions {
  /** Port to listen on (127.0.0.1). A free port is picked when omitted. */
  port?: number;
  /** Extra redis-server arguments, e.g. `['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru']`. */
  args?: string[];
  /** How long to wait for the server to answer PING. Defaults to 5000 ms. */
  readyTimeoutMs?: number;
}

/** Absolute path of `name` if it is an executable on PATH. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Minimal raw RESP client (used for readiness probes and fault-injection assertions).
// ---------------------------------------------------------------------------------------------

export interface RespReply {
  kind: 'simple' | 'error' | 'integer' | 'bulk';
  value: string | null;
}

export interface RawTarget {
  host?: string;
  port: number;
  tls?: boolean;
}

function encodeCommand(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

function parseReply(buf: Buffer, offset: number): { reply: RespReply; next: number } | undefined {
  if (buf.length <= offset) return undefined;
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString('utf8', offset + 1, eol);
  switch (type) {
    case '+':
      return { reply: { kind: 'simple', value: line }, next: eol + 2 };
    case '-':
      return { reply: { kind: 'error', value: line }, next: eol + 2 };
    case ':':
      return { reply: { kind: 'integer', value: line }, next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { reply: { kind: 'bulk', value: null }, next: eol + 2 };
      const end = eol + 2 + len;
      if (buf.length < end + 2) return undefined;
      return { reply: { kind: 'bulk', value: buf.toString('utf8', eol + 2, end) }, next: end + 2 };
    }
    default:
      throw new Error(`unsupported RESP reply type ${JSON.stringify(type)}`);
  }
}

/**
 * Opens a fresh TCP (or TLS) connection, pipelines `commands` and resolves with one reply per
 * command. Rejects on connection errors, on premature close and after `timeoutMs`.
 * Only simple/error/integer/bulk replies are supported (enough for PING, AUTH, INFO, ...).
 */
export async function rawCommands(
  target: RawTarget,
  commands: string[][],
  timeoutMs = 1_000,
): Promise<RespReply[]> {
  const host = target.host ?? HOST;
  return new Promise<RespReply[]>((resolve, reject) => {
    const replies: RespReply[] = [];
    let buffer = Buffer.alloc(0);
    let settled = false;
    const socket = target.tls
      ? tls.connect({ host, port: target.port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port: target.port });
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${host}:${target.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      socket.write(commands.map(encodeCommand).join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (;;) {
          const parsed = parseReply(buffer, 0);
          if (!parsed) break;
          replies.push(parsed.reply);
          buffer = buffer.subarray(parsed.next);
          if (replies.length === commands.length) {
            finish(undefined);
            return;
          }
        }
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', err => finish(err));
    socket.on('close', () =>
      finish(new Error(`connection to ${host}:${target.port} closed before all replies arrived`)),
    );
  });
}

/** True iff a raw `PING` on a fresh connection to 127.0.0.1:`port` answers `+PONG` in time. */
export async function tcpPing(port: number, timeoutMs = 1_000, host = HOST): Promise<boolean> {
  try {
    const [reply] = await rawCommands({ host, port }, [['PING']], timeoutMs);
    return reply?.kind === 'simple' && reply.value === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Checks that the server behind a `redis://` / `rediss://` URL answers PING (sending AUTH first
 * when the URL carries credentials). Throws an error describing the failure otherwise.
 */
export async function pingUrl(url: string, timeoutMs = 2_000): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`unsupported Redis URL protocol in ${JSON.stringify(url)}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || HOST;
  const port = parsed.port ? Number(parsed.port) : 6379;
  const commands: string[][] = [];
  if (parsed.password) {
    const password = decodeURIComponent(parsed.password);
    const username = decodeURIComponent(parsed.username);
    commands.push(username ? ['AUTH', username, password] : ['AUTH', password]);
  }
  commands.push(['PING']);
  const replies = await rawCommands(
    { host, port, tls: parsed.protocol === 'rediss:' },
    commands,
    timeoutMs,
  );
  const failed = replies.find(r => r.kind === 'error');
  if (failed) throw new Error(`Redis at ${host}:${port} replied with an error: ${failed.value}`);
  const last = replies[replies.length - 1];
  if (last?.kind !== 'simple' || last.value !== 'PONG') {
    throw new Error(`Redis at ${host}:${port} answered PING with ${JSON.stringify(last)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Process registry: every running redis-server is SIGKILLed when this process exits.
// Kept on globalThis so that re-imported copies of this module (vitest isolates test files)
// share one registry and one `exit` listener per process.
// ---------------------------------------------------------------------------------------------

const REGISTRY_KEY = Symbol.for('nestjs-page-cache.test.redis-servers');
type Registry = Set<() => void>;

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Registry };
  let reg = holder[REGISTRY_KEY];
  if (!reg) {
    const created: Registry = new Set();
    process.on('exit', () => {
      for (const cleanup of created) {
        try {
          cleanup();
        } catch {
          // best effort while exiting
        }
      }
      created.clear();
    });
    holder[REGISTRY_KEY] = created;
    reg = created;
  }
  return reg;
}

/**
 * Watchdog for abnormal parent deaths (SIGKILL/SIGTERM skip `exit` listeners): a detached shell
 * that SIGKILLs redis (and removes its temp dir) once this process is gone, and quits by itself
 * when redis is gone.
 */
function spawnWatchdog(redisPid: number, dir: string): ChildProcess | undefined {
  const script =
    'while kill -0 "$1" 2>/dev/null; do kill -0 "$2" 2>/dev/null || exit 0; sleep 1; done; ' +
    'kill -9 "$2" 2>/dev/null; rm -rf "$3"';
  try {
    const watchdog = spawn(
      'sh',
      ['-c', script, 'redis-watchdog', String(process.pid), String(redisPid), dir],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.on('error', () => undefined);
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

function killWatchdog(watchdog: ChildProcess | undefined): void {
  if (watchdog?.pid === undefined || watchdog.exitCode !== null || watchdog.signalCode !== null) {
    return;
  }
  try {
    process.kill(-watchdog.pid, 'SIGKILL'); // its whole process group (sh + sleep)
  } catch {
    watchdog.kill('SIGKILL');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

interface Instance {
  child: ChildProcess;
  dir: string;
  exited: Promise<void>;
  hasExited: boolean;
  exitDescription: string;
  watchdog: ChildProcess | undefined;
  cleanupSync: () => void;
}

/**
 * A real `redis-server` child process on 127.0.0.1 with persistence disabled, for tests.
 * Supports fault injection: kill (SIGKILL), stop (SIGTERM), pause (SIGSTOP), resume (SIGCONT)
 * and restart on the same port.
 */
export class RedisServer {
  readonly #port: number;
  readonly #args: readonly string[];
  readonly #readyTimeoutMs: number;
  #instance: Instance | undefined;
  #paused = false;
  #output = '';

  private constructor(port: number, args: readonly string[], readyTimeoutMs: number) {
    this.#port = port;
    this.#args = args;
    this.#readyTimeoutMs = readyTimeoutMs;
  }

  /** Starts a server and resolves once it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const args = [...(options.args ?? [])];
    const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    // A port from freePort() can be grabbed by someone else before redis binds it: retry.
    const attempts = options.port === undefined ? START_ATTEMPTS : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const server = new RedisServer(options.port ?? (await freePort()), args, readyTimeoutMs);
      try {
        await server.#launch();
        return server;
      } catch (err) {
        lastError = err;
        if (!server.#output.includes('Address already in use')) throw err;
      }
    }
    throw lastError;
  }

  get host(): string {
    return HOST;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `redis://${HOST}:${this.#port}`;
  }

  /** PID of the current redis-server process, if one is running. */
  get pid(): number | undefined {
    return this.running ? this.#instance?.child.pid : undefined;
  }

  /** Whether a redis-server process is currently alive (possibly paused). */
  get running(): boolean {
    return this.#instance !== undefined && !this.#instance.hasExited;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Tail of the server's combined stdout/stderr (all processes started by this instance). */
  get output(): string {
    return this.#output;
  }

  /** Extra args the server was started with (reused by restart()). */
  get args(): readonly string[] {
    return this.#args;
  }

  /** SIGSTOP: the process stays alive, connections are accepted by the kernel but never answered. */
  pause(): void {
    this.#requireRunning('pause').child.kill('SIGSTOP');
    this.#paused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.#requireRunning('resume').child.kill('SIGCONT');
    this.#paused = false;
  }

  /** SIGKILL (works while paused too) and wait for the process to exit. No-op when not running. */
  async kill(): Promise<void> {
    const instance = this.#instance;
    if (!instance) return;
    killWatchdog(instance.watchdog);
    if (!instance.hasExited) instance.child.kill('SIGKILL');
    await instance.exited;
    await this.#cleanup(instance);
  }

  /** Graceful SIGTERM shutdown (SIGKILL after 5 s). Idempotent. */
  async stop(): Promise<void> {
    const instance = this.#instance;
    if (!instance) return;
    killWatchdog(instance.watchdog);
    if (!instance.hasExited) {
      if (this.#paused) instance.child.kill('SIGCONT');
      instance.child.kill('SIGTERM');
      const timer = setTimeout(() => instance.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await instance.exited;
      clearTimeout(timer);
    }
    await this.#cleanup(instance);
  }

  /** Starts a new process on the same port with the same args (killing the current one, if any). */
  async restart(): Promise<void> {
    await this.kill();
    await this.#launch();
  }

  /**
   * Runs `redis-cli -h 127.0.0.1 -p <port> ...args` and returns its trimmed stdout. Note that
   * redis-cli prints error replies (e.g. `ERR unknown command`) to stdout and exits with 0;
   * it only fails (and so does this) when it cannot talk to the server.
   */
  async command(...args: string[]): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      execFile(
        'redis-cli',
        ['-h', HOST, '-p', String(this.#port), ...args],
        { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) {
            const detail = `${String(stderr).trim()} ${String(stdout).trim()}`.trim();
            const hint =
              (err as NodeJS.ErrnoException).code === 'ENOENT' ? ` ${REDIS_INSTALL_HINT}` : '';
            reject(
              new Error(
                `redis-cli -p ${this.#port} ${args.join(' ')} failed: ${err.message} ${detail}${hint}`.trim(),
              ),
            );
            return;
          }
          resolve(String(stdout).trim());
        },
      );
    });
  }

  #requireRunning(action: string): Instance {
    const instance = this.#instance;
    if (!instance || instance.hasExited) {
      throw new Error(`cannot ${action} redis-server on port ${this.#port}: it is not running`);
    }
    return instance;
  }

  #appendOutput(chunk: string): void {
    this.#output = (this.#output + chunk).slice(-OUTPUT_TAIL_CHARS);
  }

  async #cleanup(instance: Instance): Promise<void> {
    registry().delete(instance.cleanupSync);
    if (this.#instance === instance) {
      this.#instance = undefined;
      this.#paused = false;
    }
    await rm(instance.dir, { recursive: true, force: true });
  }

  async #launch(): Promise<void> {
    if (this.running) throw new Error(`redis-server on port ${this.#port} is already running`);
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    const argv = [
      '--port',
      String(this.#port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
      ...this.#args,
    ];
    const child = spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.#appendOutput(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.#appendOutput(chunk));

    let markExited!: () => void;
    const instance: Instance = {
      child,
      dir,
      exited: new Promise<void>(resolve => (markExited = resolve)),
      hasExited: false,
      exitDescription: '',
      watchdog: undefined,
      cleanupSync: () => {
        killWatchdog(instance.watchdog);
        if (!instance.hasExited) child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
    const onGone = (description: string): void => {
      if (instance.hasExited) return;
      instance.hasExited = true;
      instance.exitDescription = description;
      if (this.#instance === instance) this.#paused = false;
      killWatchdog(instance.watchdog);
      markExited();
    };
    child.on('exit', (code, signal) =>
      onGone(signal ? `killed by ${signal}` : `exited with code ${String(code)}`),
    );
    child.on('error', err => {
      const enoent = (err as NodeJS.ErrnoException).code === 'ENOENT';
      onGone(enoent ? `redis-server not found on PATH. ${REDIS_INSTALL_HINT}` : err.message);
    });

    this.#instance = instance;
    this.#paused = false;
    registry().add(instance.cleanupSync);
    if (child.pid !== undefined) instance.watchdog = spawnWatchdog(child.pid, dir);

    try {
      await this.#waitUntilReady(instance);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  async #waitUntilReady(instance: Instance): Promise<void> {
    const deadline = Date.now() + this.#readyTimeoutMs;
    for (;;) {
      if (instance.hasExited) {
        throw this.#startError(`exited before accepting connections (${instance.exitDescription})`);
      }
      if (await tcpPing(this.#port, 250)) {
        // Make sure it is *our* process answering, not another server that owns the port.
        const [info] = await rawCommands({ port: this.#port }, [['INFO', 'server']], 1_000).catch(
          () => [],
        );
        const pid = /process_id:(\d+)/.exec(info?.value ?? '')?.[1];
        if (!instance.hasExited && pid === String(instance.child.pid)) return;
        if (pid !== undefined && pid !== String(instance.child.pid)) {
          // Another server answers here; ours will fail to bind and exit shortly.
          await Promise.race([instance.exited, sleep(1_000)]);
          throw this.#startError(`port is served by another redis-server (pid ${pid})`);
        }
      }
      if (Date.now() >= deadline) {
        throw this.#startError(`did not answer PING within ${this.#readyTimeoutMs} ms`);
      }
      await sleep(25);
    }
  }

  #startError(reason: string): Error {
    const tail = this.#output.trim().split('\n').slice(-20).join('\n');
    return new Error(
      `redis-server on ${HOST}:${this.#port} ${reason}.\n` +
        `args: ${JSON.stringify(this.#args)}\n` +
        `--- redis-server output (tail) ---\n${tail || '(no output)'}`,
    );
  }
}
