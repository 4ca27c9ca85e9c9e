import { createInterface } from 'node:readline/promises';

/**
 * Everything the command-line tool needs from its process, so commands can be run (and tested)
 * without one.
 */
export interface CliIO {
  /** Writes to stdout (results). */
  out(text: string): void;
  /** Writes to stderr (progress, prompts, notes and errors). */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal (progress is shown in place there). */
  readonly stderrIsTTY: boolean;
  /** Whether the user can be asked a question (stdin is a terminal). */
  readonly interactive: boolean;
  /** Asks a question on stderr and resolves with the line typed. */
  ask(question: string): Promise<string>;
}

/** The {@link CliIO} of this process. */
export function processIO(): CliIO {
  return {
    out: text => void process.stdout.write(text),
    err: text => void process.stderr.write(text),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    interactive: process.stdin.isTTY === true,
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
