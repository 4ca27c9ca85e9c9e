import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: generates the Prisma clients of the tests (offline, into
 * .generated/, skipped when up to date), in case `npm ci` did not (`--ignore-scripts`).
 */
export default function setup(): void {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../tools/prisma-generate.mjs', import.meta.url))],
    { stdio: 'inherit' },
  );
}
