import { parseArgs } from 'node:util';

/** The program's name, as users type it. */
export const PROGRAM = 'nestjs-page-cache';

export type CommandName = 'stats' | 'keys' | 'show' | 'invalidate' | 'expire' | 'clear';

/** Options of one command, beside the global ones. */
type CommandOption = 'limit' | 'internal' | 'body' | 'yes';

interface CommandSpec {
  usage: string;
  summary: string;
  /** Fewest and most positional arguments. */
  args: [number, number];
  options: CommandOption[];
  details: string;
}

export const COMMANDS: Record<CommandName, CommandSpec> = {
  stats: {
    usage: 'stats',
    summary: 'Hit ratio, memory and evictions of Redis, and the namespace keys by kind',
    args: [0, 0],
    options: [],
    details: `Server-wide figures come from INFO (keyspace hits and misses since the server started or
CONFIG RESETSTAT, used memory, maxmemory and its policy, evicted keys). The namespace's keys are
counted by kind with SCAN: pages, values, dependency index sets, generation tokens, locks and fill
locks, and pages per view. Kinds are told apart by key name.`,
  },
  keys: {
    usage: 'keys [glob] [--limit N] [--internal]',
    summary: 'List the keys of the namespace that match a glob (SCAN, paged)',
    args: [0, 1],
    options: ['limit', 'internal'],
    details: `The glob (default *) applies to the key without its namespace, as in
CacheService.keys(): *, ?, [abc], [a-z], [^a], and \\ to escape; the namespace itself is escaped,
so a prefix such as a* never reaches another one. Keys are printed without the namespace.

  --limit N     print at most N keys (default 100; 0 for all), then how many more matched
  --internal    include the cache's own bookkeeping keys (~idx:, ~gen:, ~lock:, ~fill:); shown
                anyway when the glob starts with ~

Examples:
  ${PROGRAM} keys 'page:*Post/42*'
  ${PROGRAM} keys 'user:*' --limit 0`,
  },
  show: {
    usage: 'show <key> [--body]',
    summary: 'Decode one entry: a page (status, headers, age, TTL, models) or a value',
    args: [1, 1],
    options: ['body'],
    details: `The key is given without its namespace, as \`keys\` prints it. A page shows its status,
headers, body size, age, time to live, the models it was built from and whether it is still
current, its ETag, render time and the start of its body; a value its kind, size and content; a
counter its value. Bytes that are not an entry of this cache are reported as such. Exits with 1
when the key does not exist.

  --body        print the whole body or value instead of a preview`,
  },
  invalidate: {
    usage: 'invalidate <Model> [id]',
    summary: 'Clear every page and value built from a model, or from one entity of it',
    args: [1, 2],
    options: [],
    details: `Does what CacheService.invalidate(model, id) and an entity.saved event do: replaces the
model's (or the entity's) generation tokens, so nothing computed before is served again, and
removes the entries indexed under them. Prints how many entries were removed.

Examples:
  ${PROGRAM} invalidate Post 42
  ${PROGRAM} invalidate SiteSettings`,
  },
  expire: {
    usage: 'expire <path>',
    summary: 'Remove every cached variant of a URL (/posts/42, /posts?page=2)',
    args: [1, 1],
    options: [],
    details: `Does what CacheService.expirePage(path) does: every variant of the path (all vary
combinations), or with a query string only the variants of that query, normalized as the pages
see it. Prints how many entries were removed.`,
  },
  clear: {
    usage: 'clear [--yes]',
    summary: 'Delete every key of the namespace (asks first)',
    args: [0, 0],
    options: ['yes'],
    details: `Deletes the namespace's keys only, with SCAN and UNLINK (never FLUSHDB or FLUSHALL). On a
terminal it counts them and asks for confirmation; without a terminal it refuses unless --yes.

  -y, --yes     do not ask`,
  },
};

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
  internal: { type: 'boolean' },
  body: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

/** A command line that cannot be run as given (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A parsed command line. */
export interface CommandLine {
  /** `undefined` for `--help` alone, or no arguments. */
  command?: CommandName;
  args: string[];
  help: boolean;
  /** `--version` / `-V`: print the tool's version and exit. */
  printVersion: boolean;
  redis?: string;
  cluster?: string;
  prefix: string;
  /** The namespace version (`--key-version`), the CacheModule's `version` option. */
  keyVersion: number;
  /** Notes about deprecated spellings used, for stderr. */
  deprecations: string[];
  timeoutMs: number;
  json: boolean;
  progress: boolean;
  limit: number;
  internal: boolean;
  body: boolean;
  yes: boolean;
}

/**
 * Parses the arguments (without `node` and the script).
 * @throws UsageError for an unknown command or option, or a bad value.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
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
  const { values } = parsed;
  let positionals = parsed.positionals;
  let help = values.help === true;
  if (positionals[0] === 'help') {
    help = true;
    positionals = positionals.slice(1);
  }
  const [name, ...args] = positionals;
  if (name !== undefined && !(name in COMMANDS)) {
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
    const spec = COMMANDS[command];
    for (const option of ['limit', 'internal', 'body', 'yes'] as const) {
      if (values[option] !== undefined && !spec.options.includes(option)) {
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
    command,
    args,
    help,
    printVersion,
    redis: values.redis,
    cluster: values.cluster,
    prefix: values.prefix ?? 'cache',
    keyVersion: integer(values['key-version'], legacy.used ? '--version' : '--key-version', 1, 0),
    deprecations: legacy.used ? [LEGACY_VERSION_NOTE] : [],
    timeoutMs: integer(values.timeout, '--timeout', 3_000, 1),
    json: values.json === true,
    progress: values.progress === true,
    limit: integer(values.limit, '--limit', 100, 0),
    internal: values.internal === true,
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
  const out: string[] = [];
  let used = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === '--version' && /^-?\d/.test(argv[i + 1] ?? '')) {
      out.push('--key-version', argv[++i]!);
      used = true;
    } else if (arg.startsWith('--version=')) {
      out.push(`--key-version=${arg.slice('--version='.length)}`);
      used = true;
    } else {
      out.push(arg);
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
  --cluster <nodes>   a Redis Cluster instead: host:port,host:port,… (--redis then only gives
                      credentials and TLS); every master is scanned
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
    const spec = COMMANDS[command];
    return `Usage: ${PROGRAM} ${spec.usage} [options]\n\n${spec.summary}.\n\n${spec.details}\n\n${GLOBAL_HELP}\n`;
  }
  const width = Math.max(...Object.values(COMMANDS).map(spec => firstWords(spec.usage).length));
  const lines = Object.values(COMMANDS).map(
    spec => `  ${firstWords(spec.usage).padEnd(width)}  ${spec.summary}`,
  );
  return `Usage: ${PROGRAM} <command> [options]

Inspects and maintains the Redis data of nestjs-page-cache, in one namespace
({prefix}:{version}) at a time. Never uses KEYS, FLUSHDB or FLUSHALL.

Commands:
${lines.join('\n')}

${GLOBAL_HELP}

Exit codes: 0 success, 1 failure (Redis unreachable, key missing, clear refused), 2 bad usage.
`;
}

/** The usage line up to its first option. */
function firstWords(usage: string): string {
  const cut = usage.indexOf(' [--');
  return cut === -1 ? usage : usage.slice(0, cut);
}
