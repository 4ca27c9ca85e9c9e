#!/usr/bin/env node
// Type-checks every TypeScript block of README.md against the *built* package, as a user's
// NodeNext project would see it: `nestjs-page-cache` resolves through node_modules to
// libs/page-cache/package.json and its exports (dist/*.d.ts), never to the sources. Build the
// library first (`npm run build -w nestjs-page-cache`).
//
// Each block is compiled as a module of its own. Names that stand for the reader's own app (an
// entity `Post`, an injected `cache`, …) are declared in readme-globals.d.ts. A block that is
// deliberately partial can be skipped with `<!-- not-compiled -->` on the line before its fence.
//
// Usage: node test/readme/check-readme.mjs [README.md]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readmePath = resolve(process.argv[2] ?? join(root, 'README.md'));
const globals = join(root, 'test/readme/readme-globals.d.ts');
const SKIP = '<!-- not-compiled -->';

if (!existsSync(join(root, 'libs/page-cache/dist/index.d.ts'))) {
  console.error(
    'README examples: libs/page-cache/dist is missing; run `npm run build -w nestjs-page-cache` first.',
  );
  process.exit(1);
}

/** The ```ts blocks of a Markdown text, with the line of their first code line (1-based). */
function extractBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  let skipped = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence] = open;
    const body = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j])) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
      j++;
    }
    let previous = i - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    if (previous >= 0 && lines[previous].trim() === SKIP) skipped++;
    else blocks.push({ line: i + 2, code: body.join('\n') });
    i = j;
  }
  return { blocks, skipped };
}

const { blocks, skipped } = extractBlocks(readFileSync(readmePath, 'utf8'));
// Virtual files beside the repository's package.json (type: module), so that they are ES
// modules resolving packages from the repository's node_modules.
const dir = join(root, '.readme-examples');
const files = new Map(
  blocks.map(block => [
    join(dir, `readme-line-${block.line}.ts`),
    // `export {}` makes a block without imports a module too, so blocks never share a scope.
    { ...block, text: `${block.code}\nexport {};\n` },
  ]),
);

const options = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2023,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
};
const host = ts.createCompilerHost(options);
const { fileExists, readFile, getSourceFile } = host;
host.fileExists = name => files.has(name) || fileExists.call(host, name);
host.readFile = name => files.get(name)?.text ?? readFile.call(host, name);
host.getSourceFile = (name, languageVersion, ...rest) => {
  const file = files.get(name);
  return file
    ? ts.createSourceFile(name, file.text, languageVersion, true)
    : getSourceFile.call(host, name, languageVersion, ...rest);
};

const program = ts.createProgram([...files.keys(), globals], options, host);
const diagnostics = ts.getPreEmitDiagnostics(program);
const where = relative(process.cwd(), readmePath) || readmePath;
for (const diagnostic of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const file = diagnostic.file && files.get(diagnostic.file.fileName);
  if (diagnostic.file && diagnostic.start !== undefined) {
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const at = file
      ? `${where}:${file.line + line}:${character + 1}`
      : `${relative(process.cwd(), diagnostic.file.fileName)}:${line + 1}:${character + 1}`;
    console.error(`${at} - error TS${diagnostic.code}: ${message}`);
  } else {
    console.error(`error TS${diagnostic.code}: ${message}`);
  }
}
const summary = `README examples: ${blocks.length} TypeScript blocks type-checked against the built package${skipped ? `, ${skipped} marked not-compiled` : ''}`;
if (diagnostics.length > 0) {
  console.error(`${summary}: ${diagnostics.length} errors.`);
  process.exit(1);
}
console.log(`${summary}: no errors.`);
