#!/usr/bin/env node
// Checks README.md and every page of docs/: each TypeScript block type-checks against the *built*
// package, as a user's NodeNext project would see it (`nestjs-page-cache` resolves to this
// repository's libs/page-cache/dist, through its package.json exports' layout, never to the
// sources); no line is over 200 characters; every relative link names a file that exists, and a
// heading of it when it has an anchor. Build the library first (`npm run build -w nestjs-page-cache`).
//
// Each block is compiled as a module of its own. Names that stand for the reader's own app (an
// entity `Post`, an injected `cache`, …) are declared in readme-globals.d.ts. A block whose first
// line names a file of the reader's app (`// src/posts.service.ts`) is that file: the blocks of one
// page so named form one project, so that `import { Post } from './post.entity.js'` finds the block
// of `src/post.entity.ts` (a later block of the same name is the one imported). A block that is
// deliberately partial can be skipped with `<!-- not-compiled -->` on the line before its fence.
//
// Usage: node test/readme/check-readme.mjs [file.md …]   (default: README.md and docs/*.md)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { checkLinks } from './check-links.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const globals = join(root, 'test/readme/readme-globals.d.ts');
const SKIP = '<!-- not-compiled -->';
const MAX_LINE = 200;
const NAMED = /^\/\/ (src\/[\w./-]+\.ts)\s*$/;

const documents =
  process.argv.length > 2
    ? process.argv.slice(2).map(path => resolve(path))
    : [
        join(root, 'README.md'),
        ...readdirSync(join(root, 'docs'))
          .filter(name => name.endsWith('.md'))
          .sort()
          .map(name => join(root, 'docs', name)),
      ];

const dist = join(root, 'libs/page-cache/dist');
if (!existsSync(join(dist, 'index.d.ts'))) {
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

// Virtual files under the repository (whose package.json says type: module), so that they are
// ES modules resolving packages from the repository's node_modules; one folder per document.
const examples = join(root, '.readme-examples');
const files = new Map();
const problems = [];
let compiled = 0;
let skippedTotal = 0;
for (const document of documents) {
  const where = relative(process.cwd(), document) || document;
  const markdown = readFileSync(document, 'utf8');
  markdown.split('\n').forEach((line, index) => {
    if (line.length > MAX_LINE) {
      problems.push(`${where}:${index + 1}:${MAX_LINE + 1} - a line of ${line.length} characters`);
    }
  });
  const { blocks, skipped } = extractBlocks(markdown);
  compiled += blocks.length;
  skippedTotal += skipped;
  const folder = join(examples, relative(root, document).replace(/[^\w-]/g, '_'));
  const lastOfName = new Map();
  for (const block of blocks) {
    const name = NAMED.exec(block.code.split('\n')[0] ?? '')?.[1];
    if (name) lastOfName.set(name, block);
  }
  for (const block of blocks) {
    const name = NAMED.exec(block.code.split('\n')[0] ?? '')?.[1];
    const path =
      name === undefined
        ? join(folder, `line-${block.line}.ts`)
        : lastOfName.get(name) === block
          ? join(folder, name)
          : join(folder, dirname(name), `${basename(name, '.ts')}.line-${block.line}.ts`);
    // `export {}` makes a block without imports a module too, so blocks never share a scope.
    files.set(path, { ...block, where, text: `${block.code}\nexport {};\n` });
  }
}

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
  // This repository's build, whatever node_modules/nestjs-page-cache links to.
  paths: {
    'nestjs-page-cache': [join(dist, 'index.d.ts')],
    'nestjs-page-cache/*': [join(dist, '*/index.d.ts')],
  },
};
const host = ts.createCompilerHost(options);
const { fileExists, readFile, getSourceFile } = host;
host.fileExists = name => files.has(name) || fileExists.call(host, name);
// The folders of the virtual files exist for module resolution (`./post.entity.js` in src/).
const folders = new Set([...files.keys()].map(name => dirname(name)));
const { directoryExists } = host;
host.directoryExists = name => folders.has(name) || (directoryExists?.call(host, name) ?? true);
host.readFile = name => files.get(name)?.text ?? readFile.call(host, name);
host.getSourceFile = (name, languageVersion, ...rest) => {
  const file = files.get(name);
  return file
    ? ts.createSourceFile(name, file.text, languageVersion, true)
    : getSourceFile.call(host, name, languageVersion, ...rest);
};

const program = ts.createProgram([...files.keys(), globals], options, host);
const diagnostics = ts.getPreEmitDiagnostics(program);
for (const diagnostic of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const file = diagnostic.file && files.get(diagnostic.file.fileName);
  if (diagnostic.file && diagnostic.start !== undefined) {
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const at = file
      ? `${file.where}:${file.line + line}:${character + 1}`
      : `${relative(process.cwd(), diagnostic.file.fileName)}:${line + 1}:${character + 1}`;
    problems.push(`${at} - error TS${diagnostic.code}: ${message}`);
  } else {
    problems.push(`error TS${diagnostic.code}: ${message}`);
  }
}
problems.push(...checkLinks(documents, root));

for (const problem of problems) console.error(problem);
const summary =
  `README and docs: ${documents.length} files, ${compiled} TypeScript blocks type-checked against ` +
  `the built package${skippedTotal ? `, ${skippedTotal} marked not-compiled` : ''}, lines and links checked`;
if (problems.length > 0) {
  console.error(`${summary}: ${problems.length} problems.`);
  process.exit(1);
}
console.log(`${summary}: no problems.`);
