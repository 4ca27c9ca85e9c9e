import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from './redis-server.js';

/** Why the Varnish tests cannot run here, or `undefined` when they can. */
export function varnishMissing(): string | undefined {
  if (findExecutable('varnishd') ?? findExecutable('/usr/sbin/varnishd')) return undefined;
  return 'varnishd is not installed (Debian/Ubuntu: apt-get install varnish varnish-modules; .ci/run installs them)';
}

/** A varnishd started by a test, on a fixed port so that it can be stopped and started again. */
export class VarnishServer {
  private process?: ChildProcess;
  private output = '';
  private dir = '';

  /**
   * @param vclPath the VCL to run, with its `backend default` pointed at `backendPort`
   * @param port the port Varnish listens on (127.0.0.1)
   */
  constructor(
    private readonly vclPath: string,
    readonly port: number,
    private readonly backendPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `-n` working directory (its shared-memory log is what `varnishlog` reads). */
  private get workdir(): string {
    return join(this.dir, 'work');
  }

  /** Starts varnishd (again, on the same port and working directory) and waits until it answers. */
  async start(): Promise<void> {
    if (!this.dir) {
      this.dir = await mkdtemp(join(tmpdir(), 'varnish-'));
      // varnishd drops to its own users, which must read the VCL and create the working directory.
      await chmod(this.dir, 0o755);
      const vcl = (await readFile(this.vclPath, 'utf8')).replace(
        /(backend default \{[^}]*\.port = )"\d+";/,
        `$1"${this.backendPort}";`,
      );
      if (!vcl.includes(`"${this.backendPort}"`)) throw new Error('no backend port in the VCL');
      await writeFile(join(this.dir, 'page-cache.vcl'), vcl, { mode: 0o644 });
    }
    this.output = '';
    const varnishd = findExecutable('varnishd') ?? '/usr/sbin/varnishd';
    const child = spawn(
      varnishd,
      [
        '-F',
        '-n',
        this.workdir,
        '-a',
        `127.0.0.1:${this.port}`,
        '-f',
        join(this.dir, 'page-cache.vcl'),
        '-s',
        'malloc,32m',
        // One thread pool, few threads: two shared cores run the whole suite.
        '-p',
        'thread_pools=1',
        '-p',
        'thread_pool_min=5',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const deadline = Date.now() + 20_000;
    while (!(await this.answers())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`varnishd did not start on port ${this.port}:\n${this.output}`);
      }
      await sleep(50);
    }
  }

  /** Stops varnishd (its cache goes with it) and waits until the port is free. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    while (await this.answers()) await sleep(50);
  }

  /** Stops varnishd and removes its files. */
  async remove(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * The records of this varnishd's log (since it last started) for requests matching a
   * `varnishlog -q` query, e.g. `ReqMethod eq "PURGE"`: one string per request.
   */
  async requests(query: string): Promise<string[]> {
    const varnishlog = findExecutable('varnishlog') ?? '/usr/bin/varnishlog';
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        varnishlog,
        ['-n', this.workdir, '-d', '-g', 'request', '-q', query],
        { timeout: 10_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    return out.split(/\n(?=\*)/).filter(block => block.trim() !== '');
  }

  private answers(): Promise<boolean> {
    return new Promise(resolve => {
      const socket = net.connect(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
