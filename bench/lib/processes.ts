import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Lets a child process run TypeScript sources (see test/support/ts-loader.mjs). */
const TS_REGISTER = pathToFileURL(`${ROOT}test/support/ts-register.mjs`).href;
const OUTPUT_TAIL = 4_000;
const STOP_TIMEOUT_MS = 8_000;

/** A running app under test. */
export interface AppProcess {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM (the app closes Nest and exits), SIGKILL if it takes too long. */
  stop(): Promise<void>;
  /** The tail of its stderr and stdout. */
  output(): string;
}

export interface StartOptions {
  /** Shown in errors and reports. */
  name: string;
  /** Script path relative to the repository root, e.g. `bench/apps/page-app.ts`. */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts `node --import ts-register <script> ...args` and resolves once it prints
 * `LISTENING <port>`. Its stdin stays a pipe: the app exits by itself when the runner goes away.
 */
export async function startApp(options: StartOptions): Promise<AppProcess> {
  installExitHook();
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', TS_REGISTER, options.script, ...(options.args ?? [])],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  let output = '';
  const append = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_TAIL);
  };
  child.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );

  const port = await new Promise<number>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(
      () => fail(new Error(`did not print LISTENING within ${options.timeoutMs ?? 120_000} ms`)),
      options.timeoutMs ?? 120_000,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name}: ${error.message}\n--- output ---\n${output.trim()}`));
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      append(chunk);
      pending += chunk;
      const match = /^LISTENING (\d+)$/m.exec(pending);
      if (match) {
        clearTimeout(timer);
        pending = '';
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`exited early (${signal ?? code})`)));
    child.once('error', error => fail(error));
  });

  return {
    name: options.name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops every app given, in parallel. */
export async function stopAll(apps: Iterable<AppProcess | undefined>): Promise<void> {
  await Promise.all([...apps].map(app => app?.stop()));
}
