import { resolveCacheOptions } from '../cache.options.js';
import { helpText, parseCommandLine, UsageError, type CommandLine } from './args.js';
import type { openCache } from './cache-context.js';
import { CommandError, PROGRAM } from './command.js';
import { COMMANDS } from './commands/index.js';
import { connect, ConnectionError, type Connection } from './connection.js';
import type { CliIO } from './io.js';
import { toolVersion } from './tool-version.js';

/**
 * Runs the command-line tool with `argv` (the arguments after the script) and resolves with its
 * exit code: 0 success, 1 failure, 2 bad usage. Everything goes through `io`; nothing here
 * touches `process`.
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${PROGRAM}: ${error.message}\nRun \`${PROGRAM} --help\` for usage.\n`);
    return 2;
  }
  if (line.deprecation) io.err(`${PROGRAM}: ${line.deprecation}\n`);
  if (line.printVersion && !line.help) {
    io.out(`${toolVersion()}\n`);
    return 0;
  }
  if (line.help || line.command === undefined) {
    (line.help ? io.out : io.err)(helpText(line.command));
    return line.help ? 0 : 2;
  }

  let namespace: string;
  try {
    namespace = namespaceOf(line);
  } catch (error) {
    io.err(`${PROGRAM}: ${(error as Error).message}\n`);
    return 2;
  }
  const url = line.redis ?? (io.env.REDIS_URL?.trim() || undefined);
  if (url === undefined && line.cluster === undefined) {
    io.err(`${PROGRAM}: no Redis given: set REDIS_URL or pass --redis <url> (or --cluster).\n`);
    return 2;
  }
  const command = COMMANDS[line.command];
  const refusal = command.refusal?.(line, io);
  if (refusal !== undefined) {
    io.err(`${PROGRAM}: ${refusal}\n`);
    return 1;
  }

  let conn: Connection;
  try {
    conn = await connect({ url, cluster: line.cluster, timeoutMs: line.timeoutMs });
  } catch (error) {
    io.err(`${PROGRAM}: ${(error as Error).message}\n`);
    return 1;
  }
  let cache: Awaited<ReturnType<typeof openCache>> | undefined;
  try {
    // Loaded here, so that --help, --version and usage errors answer without Nest.
    const { openCache } = await import('./cache-context.js');
    cache = await openCache(conn, { keyPrefix: line.prefix, version: line.keyVersion });
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
    const message = known
      ? (error as Error).message
      : `${line.command} failed on ${conn.description}: ${(error as Error).message}`;
    io.err(`${PROGRAM}: ${message}\n`);
    return 1;
  } finally {
    await cache?.close();
    conn.close();
  }
}

/** `{prefix}:{version}`, validated exactly as CacheModule validates keyPrefix and version. */
function namespaceOf(line: CommandLine): string {
  try {
    return resolveCacheOptions({ keyPrefix: line.prefix, version: line.keyVersion, store: 'none' })
      .namespace;
  } catch (error) {
    throw new Error(
      (error as Error).message
        .replace('CacheModule option keyPrefix', '--prefix')
        .replace('CacheModule option version', '--key-version'),
    );
  }
}
