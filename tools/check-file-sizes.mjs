#!/usr/bin/env node
// Fails when a library source file (specs aside) is longer than MAX lines: a file that long does
// more than one job, and is split by concern rather than allowed to grow.
// Usage: node tools/check-file-sizes.mjs [dir]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const MAX = 400;
const root = resolve(process.argv[2] ?? 'libs/page-cache/src');
let files = 0;
let lines = 0;
const over = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) {
      const count = readFileSync(path, 'utf8').split('\n').length - 1;
      files++;
      lines += count;
      if (count > MAX) over.push(`${path}: ${count} lines`);
    }
  }
})(root);
console.log(`${files} library files, ${lines} lines; longest allowed: ${MAX}`);
for (const line of over) console.error(`over ${MAX} lines: ${line}`);
if (over.length > 0) process.exit(1);
