import type { CacheService } from '../cache.service.js';
import type { DependencyTracker } from '../dependency-tracker.js';
import type { Connection } from './connection.js';
import type { CliIO } from './io.js';

/** The program's name, as users type it. */
export const PROGRAM = 'nestjs-page-cache';

/** Options of one command, beside the global ones. */
export type CommandOption = 'limit' | 'body' | 'yes';

/** What a command reads from its command line. */
export interface CommandOptions {
  /** The positional arguments after the command's name. */
  args: string[];
  json: boolean;
  progress: boolean;
  limit: number;
  body: boolean;
  yes: boolean;
}

/** Everything a command works with. */
export interface CliContext {
  io: CliIO;
  /** The Redis connection, for what is Redis's rather than the cache's (INFO, scans, raw reads). */
  conn: Connection;
  line: CommandOptions;
  /** `{prefix}:{version}`. */
  namespace: string;
  /** The cache as the app builds it, over `conn`. */
  cache: CacheService;
  /** The cache's dependency tracker, for `show` to tell whether an entry is still current. */
  tracker: DependencyTracker;
}

/** One command of the tool: its help, what its command line may hold, and what it does. */
export interface Command {
  /** `name <args>`, as the help shows it. */
  usage: string;
  summary: string;
  /** Fewest and most positional arguments. */
  args: [number, number];
  /** Its own options, with their line of help. */
  options?: Partial<Record<CommandOption, string>>;
  /** Why it may not run as asked (exit code 1), checked before connecting. */
  refusal?(line: CommandOptions, io: CliIO): string | undefined;
  /** Runs it; resolves with the exit code. */
  run(ctx: CliContext): Promise<number>;
}

/** A failure to report as such (exit code 1), without a stack trace. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** The library refuses bad input with a TypeError before it writes anything: say it as such. */
export async function asCommand<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw error instanceof TypeError ? new CommandError(error.message) : error;
  }
}
