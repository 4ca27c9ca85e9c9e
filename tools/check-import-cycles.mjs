#!/usr/bin/env node
// Fails when the library's own modules import each other in a cycle (type-only imports count:
// public types belong in leaf modules). Usage: node tools/check-import-cycles.mjs [dir]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'libs/page-cache/src');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts')) {
      files.push(path);
    }
  }
})(root);

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = new Set();
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), match[1].replace(/\.js$/, '.ts'));
    if (files.includes(target)) targets.add(target);
  }
  graph.set(file, [...targets]);
}

// Tarjan's strongly connected components: every component of more than one module is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
function connect(node) {
  state.set(node, { index, low: index, onStack: true });
  index++;
  stack.push(node);
  for (const next of graph.get(node)) {
    if (!state.has(next)) {
      connect(next);
      state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
    } else if (state.get(next).onStack) {
      state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
    }
  }
  if (state.get(node).low === state.get(node).index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node).includes(node)) cycles.push(component);
  }
}
for (const file of files) if (!state.has(file)) connect(file);

if (cycles.length === 0) {
  console.log(`import cycles: none among ${files.length} modules of ${relative(process.cwd(), root)}`);
} else {
  for (const cycle of cycles) {
    console.error(`import cycle of ${cycle.length} modules:\n  ${cycle.map(f => relative(root, f)).sort().join('\n  ')}`);
  }
  process.exit(1);
}
