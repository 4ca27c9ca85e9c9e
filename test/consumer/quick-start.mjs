#!/usr/bin/env node
// Follows README.md's "Install" and "Quick start" sections in a fresh app, as a reader would, from
// the README itself (nothing here repeats its code, so the two cannot drift apart):
//
//   node quick-start.mjs <app dir> <nestjs-page-cache tarball>
//
// In the order the README shows them:
// - every `npm install …` line of a ```bash block is run in the app, with the tarball in place of
//   `nestjs-page-cache` and the same other packages (other bash lines, curl and the start command,
//   are what drive.mjs checks);
// - every ```json block is merged into the app's package.json (the typeorm override);
// - every ```ts block is written to the file its first line names (`// src/app.module.ts`); a
//   later block of the same name replaces an earlier one, as the README's readers do (and as
//   test/readme/check-readme.mjs compiles them). A ```ts block that names no file is an error.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [appDir, tarball] = process.argv.slice(2);
if (!appDir || !tarball) {
  console.error('usage: quick-start.mjs <app dir> <nestjs-page-cache tarball>');
  process.exit(2);
}
const readmePath = resolve(dirname(fileURLToPath(import.meta.url)), '../../README.md');
const NAMED = /^\/\/ (src\/[\w./-]+\.ts)\s*$/;

function fail(message) {
  console.error(`quick start: ${message}`);
  process.exit(1);
}

/** The lines from `## Install` to the first `## ` heading after `## Quick start`. */
function quickStartLines(markdown) {
  const lines = markdown.split('\n');
  const start = lines.indexOf('## Install');
  const quickStart = lines.indexOf('## Quick start');
  if (start < 0 || quickStart < start) fail('README.md has no "## Install" then "## Quick start"');
  const next = lines.findIndex((line, i) => i > quickStart && line.startsWith('## '));
  return { lines: lines.slice(start, next < 0 ? lines.length : next), offset: start };
}

/** The fenced blocks of the section, in order: { lang, line (1-based, of the fence), body }. */
function blocks({ lines, offset }) {
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const close = lines.indexOf('```', i + 1);
    if (close < 0) fail(`README.md:${offset + i + 1}: a code block that is never closed`);
    found.push({ lang: open[1], line: offset + i + 1, body: lines.slice(i + 1, close) });
    i = close;
  }
  return found;
}

function merge(target, source) {
  for (const [key, value] of Object.entries(source)) {
    const plain = value !== null && typeof value === 'object' && !Array.isArray(value);
    target[key] = plain ? merge({ ...target[key] }, value) : value;
  }
  return target;
}

const manifestPath = join(appDir, 'package.json');
const files = new Map();
for (const block of blocks(quickStartLines(readFileSync(readmePath, 'utf8')))) {
  const where = `README.md:${block.line}`;
  if (block.lang === 'bash') {
    for (const line of block.body) {
      const install = /^npm install\s+([^#]+?)\s*(#.*)?$/.exec(line);
      if (!install) continue;
      const packages = install[1]
        .split(/\s+/)
        .map(name => (name === 'nestjs-page-cache' ? resolve(tarball) : name));
      console.log(`quick start (${where}): ${line.replace(/\s*#.*$/, '')}`);
      try {
        execFileSync(
          'npm',
          ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages],
          {
            cwd: appDir,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
      } catch (error) {
        process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
        fail(`${where}: \`${line}\` failed in the app (${error.message.split('\n')[0]})`);
      }
    }
  } else if (block.lang === 'json') {
    let json;
    try {
      json = JSON.parse(block.body.join('\n'));
    } catch (error) {
      fail(`${where}: the package.json fragment is not JSON (${error.message})`);
    }
    console.log(`quick start (${where}): package.json gets ${JSON.stringify(json)}`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, `${JSON.stringify(merge(manifest, json), null, 2)}\n`);
  } else if (block.lang === 'ts' || block.lang === 'typescript') {
    const name = NAMED.exec(block.body[0] ?? '')?.[1];
    if (!name) fail(`${where}: a TypeScript block whose first line names no file (// src/….ts)`);
    files.set(name, { where, code: `${block.body.join('\n')}\n` });
  }
}
if (files.size === 0) fail('README.md shows no TypeScript file in its quick start');
for (const [name, { where, code }] of files) {
  console.log(`quick start (${where}): ${name}`);
  mkdirSync(dirname(join(appDir, name)), { recursive: true });
  writeFileSync(join(appDir, name), code);
}
