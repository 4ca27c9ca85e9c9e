import { parseArgs } from 'node:util';
import { PROGRAM, type Command, type CommandOption } from './command.js';
import { COMMANDS, type CommandName } from './commands/index.js';

const OPTIONS = {
  redis: { type: 'string' },
  cluster: { type: 'string' },
  prefix: { type: 'string' },
  'key-version': { type: 'string' },
  version: { type: 'boolean', short: 'V' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  limit: { type: 'string' },
  body: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

/** A command line that cannot be run as given (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A parsed command line. */
export type CommandLine = ReturnType<typeof parseCommandLine>;

/**
 * Parses the arguments (without `node` and the script).
 * @throws UsageError for an unknown command or option, or a bad value.
 */
export function parseCommandLine(argv: readonly string[]) {
  const legacy = legacyKeyVersion(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: legacy.argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const help = values.help === true || positionals[0] === 'help';
  const [name, ...args] = positionals.slice(positionals[0] === 'help' ? 1 : 0);
  if (name !== undefined && !Object.hasOwn(COMMANDS, name)) {
    throw new UsageError(`Unknown command: ${JSON.stringify(name)}.`);
  }
  const command = name as CommandName | undefined;
  const printVersion = values.version === true;
  // parseArgs keeps the last of repeated options; `--key-version 2 --version 3`, old and new
  // spellings mixed, is a mistake to report rather than to settle silently.
  const keyVersions = parsed.tokens.filter(
    token => token.kind === 'option' && token.name === 'key-version',
  );
  if (keyVersions.length > 1) {
    throw new UsageError('Give the namespace version once, as --key-version <n>.');
  }
  if (command !== undefined && !help && !printVersion) {
    const spec: Command = COMMANDS[command];
    for (const option of ['limit', 'body', 'yes'] satisfies CommandOption[]) {
      if (values[option] !== undefined && spec.options?.[option] === undefined) {
        throw new UsageError(`--${option} is not an option of ${command}.`);
      }
    }
    const [min, max] = spec.args;
    if (args.length < min) throw new UsageError(`Missing argument: ${PROGRAM} ${spec.usage}`);
    if (args.length > max) {
      throw new UsageError(
        `Unexpected argument ${JSON.stringify(args[max])}: ${PROGRAM} ${spec.usage}`,
      );
    }
  }
  return {
    /** `undefined` for `--help` alone, or no arguments. */
    command,
    args,
    help,
    /** `--version` / `-V`: print the tool's version and exit. */
    printVersion,
    redis: values.redis,
    cluster: values.cluster,
    prefix: values.prefix ?? 'cache',
    /** The namespace version (`--key-version`), the CacheModule's `version` option. */
    keyVersion: integer(values['key-version'], legacy.used ? '--version' : '--key-version', 1, 0),
    /** A note about a deprecated spelling used, for stderr. */
    deprecation: legacy.used ? LEGACY_VERSION_NOTE : undefined,
    timeoutMs: integer(values.timeout, '--timeout', 3_000, 1),
    json: values.json === true,
    progress: values.progress === true,
    limit: integer(values.limit, '--limit', 100, 0),
    body: values.body === true,
    yes: values.yes === true,
  };
}

const LEGACY_VERSION_NOTE =
  '--version <n> for the namespace version is deprecated and will be removed in 0.3.0: ' +
  'use --key-version <n> (--version alone prints the version of the tool).';

/**
 * Up to 0.1, `--version <n>` gave the namespace version, which left no way to ask the tool for its
 * own. `--version` now prints the version; followed by a number (or as `--version=<n>`) it is
 * still read as `--key-version <n>` for one release, with a deprecation note.
 * @returns the arguments with the old spelling rewritten, and whether it was used.
 */
function legacyKeyVersion(argv: readonly string[]): { argv: string[]; used: boolean } {
  const out = [...argv];
  let used = false;
  // After `--`, nothing is an option.
  for (let i = 0; i < out.length && out[i] !== '--'; i++) {
    if (
      (out[i] === '--version' && /^-?\d/.test(out[i + 1] ?? '')) ||
      out[i].startsWith('--version=')
    ) {
      out[i] = `--key-${out[i].slice(2)}`;
      used = true;
    }
  }
  return { argv: out, used };
}

function integer(text: string | undefined, option: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(
      `Invalid ${option}: ${JSON.stringify(text)}. Expected an integer >= ${min}.`,
    );
  }
  return value;
}

const GLOBAL_HELP = `Connection and namespace (every command):
  --redis <url>       Redis to connect to (default: $REDIS_URL), redis://[user:pass@]host:port[/db]
  --cluster <nodes>   a Redis Cluster instead: host:port,… (--redis then gives credentials, TLS)
  --prefix <prefix>   the CacheModule's keyPrefix (default: cache)
  --key-version <n>   the CacheModule's version (default: 1); was --version <n> before 0.2
  --timeout <ms>      connect timeout (default: 3000)
  --json              machine-readable output
  --progress          report scan progress on stderr even when it is not a terminal
  -h, --help          this help; \`${PROGRAM} <command> --help\` for one command
  -V, --version       print the version of ${PROGRAM}`;

/** Help for the program, or for one command. */
export function helpText(command?: CommandName): string {
  if (command !== undefined) {
    const spec: Command = COMMANDS[command];
    const own = Object.values(spec.options ?? {})
      .map(line => `  ${line}\n`)
      .join('');
    return `Usage: ${PROGRAM} ${spec.usage} [options]\n\n${spec.summary}.\n\n${own && `${own}\n`}${GLOBAL_HELP}\n`;
  }
  const width = Math.max(...Object.values(COMMANDS).map(spec => spec.usage.length));
  const lines = Object.values(COMMANDS).map(
    spec => `  ${spec.usage.padEnd(width)}  ${spec.summary}`,
  );
  return `Usage: ${PROGRAM} <command> [options]

Inspects and maintains the Redis data of nestjs-page-cache, in one namespace
({prefix}:{version}) at a time. Never uses KEYS, FLUSHDB or FLUSHALL. The README's
"Command-line tool" section describes every command.

Commands:
${lines.join('\n')}

${GLOBAL_HELP}

Exit codes: 0 success, 1 failure (Redis unreachable, key missing, clear refused), 2 bad usage.
`;
}
