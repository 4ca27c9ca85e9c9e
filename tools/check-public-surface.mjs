#!/usr/bin/env node
// Fails when the package exports more than MAX names (values and types) across its entry points:
// every public name is a promise to users, so the surface grows only on purpose. Prints them all.
// Usage: node tools/check-public-surface.mjs
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const MAX = 60;
const manifest = JSON.parse(readFileSync('libs/page-cache/package.json', 'utf8'));
const entries = Object.values(manifest.exports)
  .map(target => (typeof target === 'object' ? target.types : undefined))
  .filter(types => typeof types === 'string')
  .map(types => types.replace('./dist/', 'libs/page-cache/src/').replace(/\.d\.ts$/, '.ts'));
const program = ts.createProgram(entries, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
let total = 0;
for (const entry of entries) {
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry));
  const names = module ? checker.getExportsOfModule(module).map(symbol => symbol.name) : [];
  total += names.length;
  console.log(`${entry}: ${names.length} (${names.join(', ')})`);
}
console.log(`public surface: ${total} exported names (at most ${MAX})`);
if (total > MAX) process.exit(1);
