// Generates the Prisma clients the tests and the demo use, into .generated/prisma/ (not committed),
// offline. Runs on `npm ci` (postinstall) and before the tests (test/prisma-setup.ts).
//
// `prisma generate` needs no engine binary with a driver adapter, but Prisma 7.10 still downloads a
// schema engine first, which fails without network access (`getaddrinfo ENOTFOUND
// binaries.prisma.sh`). Pointing PRISMA_SCHEMA_ENGINE_BINARY at a placeholder skips the download;
// the placeholder is never run by `generate`, and says so if anything else runs it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMAS = [
  'test/fixtures/orm/prisma/postgresql.prisma',
  'test/fixtures/orm/prisma/sqlite.prisma',
  'test/fixtures/orm/prisma/nested-writes.prisma',
  'apps/demo/prisma/sqlite.prisma',
  'apps/demo/prisma/postgresql.prisma',
];

export function generatePrismaClients({ quiet = false } = {}) {
  const prismaCli = join(root, 'node_modules/prisma/build/index.js');
  if (!existsSync(prismaCli)) {
    throw new Error('prisma is not installed: run npm ci first.');
  }
  const placeholder = join(root, '.generated/prisma/no-schema-engine.sh');
  mkdirSync(dirname(placeholder), { recursive: true });
  writeFileSync(
    placeholder,
    '#!/bin/sh\necho "nestjs-page-cache: no Prisma schema engine here (only generate is supported)" >&2\nexit 1\n',
  );
  chmodSync(placeholder, 0o755);
  for (const schema of SCHEMAS) {
    const path = join(root, schema);
    if (!existsSync(path)) continue;
    const source = readFileSync(path, 'utf8');
    const output = resolve(dirname(path), /output\s*=\s*"([^"]+)"/.exec(source)[1]);
    const stamp = join(output, '.schema-sha256');
    const digest = createHash('sha256')
      .update(source)
      .update(readFileSync(join(root, 'node_modules/prisma/package.json')))
      .digest('hex');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) continue;
    const run = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', path], {
      cwd: root,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
      encoding: 'utf8',
    });
    if (run.status !== 0) {
      throw new Error(`prisma generate --schema ${schema} failed:\n${run.stdout}${run.stderr}`);
    }
    writeFileSync(stamp, digest);
    if (!quiet) console.log(`generated the Prisma client of ${schema} into ${output}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) generatePrismaClients();
