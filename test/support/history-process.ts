import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { CacheStats } from 'nestjs-page-cache';
import type { HistoryCommand, HistoryMessage } from '../fixtures/near/history-messages.js';
import type { HistoryRead, HistoryWrite } from './history-checker.js';

const REGISTER = fileURLToPath(new URL('./ts-register.mjs', import.meta.url));
const EXIT_WITH_PARENT = fileURLToPath(new URL('./exit-with-parent.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('../fixtures/near/history.app.ts', import.meta.url));

/** A read as a reader recorded it: with whether near copies answered it. */
export interface NearRead extends HistoryRead {
  near: boolean;
}

/** A write as the writer recorded it: with when its invalidation was sent. */
export interface TimedWrite extends HistoryWrite {
  startedAt: number;
}

/**
 * A process of the history test (test/fixtures/near/history.app.ts): a reader or the writer,
 * whose recorded reads or writes, latest statistics and output the test follows as they come.
 */
export class HistoryProcess {
  readonly reads: NearRead[] = [];
  readonly writes: TimedWrite[] = [];
  /** Its cache's statistics, as of its latest message. */
  stats: CacheStats | undefined;
  errors = 0;
  idle = false;
  private output = '';
  private readonly done: Promise<void>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    let markDone!: () => void;
    this.done = new Promise(resolve => (markDone = resolve));
    process.on('message', (message: HistoryMessage) => {
      for (const [start, end, version, near] of message.events) {
        if (name === 'writer') this.writes.push({ version, startedAt: start, resolvedAt: end });
        else this.reads.push({ process: name, start, end, version, near: near === 1 });
      }
      this.stats = message.stats;
      this.errors = message.errors;
      this.idle = message.idle;
      if (message.kind === 'done') markDone();
    });
    process.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    process.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** Starts a process and resolves once it said it is ready. */
  static async start(
    name: string,
    env: Record<string, string>,
    timeoutMs = 40_000,
  ): Promise<HistoryProcess> {
    const child = spawn(
      process.execPath,
      ['--import', EXIT_WITH_PARENT, '--import', REGISTER, ENTRY],
      {
        env: { ...process.env, ...env },
        // stdin stays open while this process lives: the child exits when it closes.
        stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      },
    );
    const started = new HistoryProcess(name, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${started.output}`));
      }, timeoutMs);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', code => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code}:\n${started.output}`));
      });
    });
    return started;
  }

  /** `stats().near.hits` as of its latest message (0 without a near layer). */
  get nearHits(): number {
    return this.stats?.near?.hits ?? 0;
  }

  /** Its reads that began after `time`. */
  readsSince(time: number): NearRead[] {
    return this.reads.filter(read => read.start > time);
  }

  /** Its writes that resolved after `time`. */
  writesSince(time: number): TimedWrite[] {
    return this.writes.filter(write => write.resolvedAt > time);
  }

  /** What it wrote to stdout and stderr. */
  get log(): string {
    return this.output;
  }

  tell(command: HistoryCommand): void {
    this.process.send(command);
  }

  /** SIGSTOP: it stops dead, holding whatever it held. */
  freeze(): void {
    this.process.kill('SIGSTOP');
  }

  /** SIGCONT after freeze(). */
  thaw(): void {
    this.process.kill('SIGCONT');
  }

  /** Asks it to stop and resolves once its last events arrived and it exited. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.thaw();
    const exited = once(this.process, 'exit');
    this.tell('stop');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    await Promise.race([this.done, exited]);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL, for cleanup after a failed test. */
  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
    }
  }
}
