// Lets child processes of the tests run TypeScript sources directly: `node --import
// ./test/support/ts-register.mjs app.ts`. Transpiles with the project's own TypeScript (keeping
// decorator metadata, which Nest's dependency injection needs) and resolves the library's import
// name to its sources, as tsconfig.json and vitest.config.ts do.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = new URL('../../', import.meta.url);
const aliases = {
  'nestjs-page-cache': new URL('libs/page-cache/src/index.ts', root).href,
  'nestjs-page-cache/typeorm': new URL('libs/page-cache/src/typeorm/index.ts', root).href,
  'nestjs-page-cache/mikro-orm': new URL('libs/page-cache/src/mikro-orm/index.ts', root).href,
  'nestjs-page-cache/prisma': new URL('libs/page-cache/src/prisma/index.ts', root).href,
  'nestjs-page-cache/prometheus': new URL('libs/page-cache/src/prometheus/index.ts', root).href,
  'nestjs-page-cache/varnish': new URL('libs/page-cache/src/varnish/index.ts', root).href,
  'nestjs-page-cache/terminus': new URL('libs/page-cache/src/terminus/index.ts', root).href,
};
const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2023,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  sourceMap: false,
  inlineSourceMap: true,
};

export async function resolve(specifier, context, next) {
  if (specifier in aliases) return { url: aliases[specifier], shortCircuit: true };
  if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (candidate.protocol === 'file:' && existsSync(fileURLToPath(candidate))) {
      return { url: candidate.href, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions,
    fileName: fileURLToPath(url),
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}

export const rootUrl = pathToFileURL(fileURLToPath(root)).href;
