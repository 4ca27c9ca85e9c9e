import { readFileSync } from 'node:fs';
import { resolveCacheOptions } from '../cache.options.js';
import { helpText, parseCommandLine, UsageError, type CommandLine } from './args.js';
import type { openCache } from './cache-context.js';
import { CommandError, PROGRAM } from './command.js';
import { COMMANDS } from './commands/index.js';
import { connect, ConnectionError, type Connection } from './connection.js';
import type { CliIO } from './io.js';

/**
 * Runs the command-line tool with `argv` (the arguments after the script) and resolves with its
 * exit code: 0 success, 1 failure, 2 bad usage. Everything goes through `io`; nothing here
 * touches `process`.
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const fail = (message: string, code: number) => {
    io.err(`${PROGRAM}: ${message}\n`);
    return code;
  };
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail(`${error.message}\nRun \`${PROGRAM} --help\` for usage.`, 2);
  }
  if (line.deprecation) io.err(`${PROGRAM}: ${line.deprecation}\n`);
  if (line.printVersion && !line.help) {
    // package.json is two directories up, in the sources (src/cli/) and the build (dist/cli/).
    const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    io.out(`${(JSON.parse(manifest) as { version: string }).version}\n`);
    return 0;
  }
  if (line.help || line.command === undefined) {
    (line.help ? io.out : io.err)(helpText(line.command));
    return line.help ? 0 : 2;
  }

  const options = { keyPrefix: line.prefix, version: line.keyVersion };
  let namespace: string;
  try {
    // Validated exactly as CacheModule validates keyPrefix and version.
    namespace = resolveCacheOptions({ ...options, store: 'none' }).namespace;
  } catch (error) {
    const message = (error as Error).message
      .replace('CacheModule option keyPrefix', '--prefix')
      .replace('CacheModule option version', '--key-version');
    return fail(message, 2);
  }
  const url = line.redis ?? (io.env.REDIS_URL?.trim() || undefined);
  if (url === undefined && line.cluster === undefined) {
    return fail('no Redis given: set REDIS_URL or pass --redis <url> (or --cluster).', 2);
  }
  const command = COMMANDS[line.command];
  const refusal = command.refusal?.(line, io);
  if (refusal !== undefined) return fail(refusal, 1);

  let conn: Connection;
  try {
    conn = await connect({ url, cluster: line.cluster, timeoutMs: line.timeoutMs });
  } catch (error) {
    return fail((error as Error).message, 1);
  }
  let cache: Awaited<ReturnType<typeof openCache>> | undefined;
  try {
    // Loaded here, so that --help, --version and usage errors answer without Nest.
    const { openCache } = await import('./cache-context.js');
    cache = await openCache(conn, options);
    return await command.run({
      io,
      conn,
      line,
      namespace,
      cache: cache.cache,
      tracker: cache.tracker,
    });
  } catch (error) {
    const known = error instanceof CommandError || error instanceof ConnectionError;
    const message = (error as Error).message;
    return fail(known ? message : `${line.command} failed on ${conn.description}: ${message}`, 1);
  } finally {
    await cache?.close();
    conn.close();
  }
}
