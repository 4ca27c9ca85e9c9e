#!/usr/bin/env node
// `npx nestjs-page-cache <command>`: only wires the process to `run.ts`, which dispatches to one
// file of `commands/` per command.
import { processIO } from './io.js';
import { run } from './run.js';

// `… | head` closes stdout early: that ends the output, it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), processIO());
