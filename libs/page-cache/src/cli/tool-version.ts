import { readFileSync } from 'node:fs';

/**
 * The version of the installed package, from its package.json: two directories up from this
 * file, both in the sources (`src/cli/`) and in the build (`dist/cli/`).
 */
export function toolVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('package.json has no version');
  return manifest.version;
}
