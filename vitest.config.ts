import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The library as users import it, from its sources (tsconfig.json has the same paths).
    alias: [
      {
        find: /^nestjs-page-cache\/typeorm$/,
        replacement: fileURLToPath(
          new URL('./libs/page-cache/src/typeorm/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-page-cache\/mikro-orm$/,
        replacement: fileURLToPath(
          new URL('./libs/page-cache/src/mikro-orm/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-page-cache\/prisma$/,
        replacement: fileURLToPath(
          new URL('./libs/page-cache/src/prisma/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-page-cache\/prometheus$/,
        replacement: fileURLToPath(
          new URL('./libs/page-cache/src/prometheus/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-page-cache\/terminus$/,
        replacement: fileURLToPath(
          new URL('./libs/page-cache/src/terminus/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-page-cache\/varnish$/,
        replacement: fileURLToPath(
          new URL('./libs/page-cache/src/varnish/index.ts', import.meta.url),
        ),
      },
      {
        find: /^nestjs-page-cache$/,
        replacement: fileURLToPath(new URL('./libs/page-cache/src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    globals: true,
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two test files at a time, not Vitest's default of one per core but one (a single worker on
    // a 2-core runner): most e2e time is waiting on real servers, child apps and conditions.
    maxWorkers: 2,
    projects: [
      // Specs beside pure code: no Redis, no database, seconds (`npm run test:unit`)…
      {
        extends: true,
        test: {
          name: 'unit',
          // …and the pure helpers of the e2e tests (test/support/*.spec.ts).
          include: ['libs/**/*.spec.ts', 'bench/**/*.spec.ts', 'test/support/**/*.spec.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          // A ceiling, not a wait: tests wait for conditions. Several start child apps that compile
          // the library on boot, which on a loaded 2-core runner takes most of the default 20 s.
          testTimeout: 60_000,
          // Starts (or checks REDIS_URL) the shared real Redis server; see test/support/redis.ts.
          // …and generates the Prisma clients the ORM contract suite uses (test/prisma-setup.ts).
          globalSetup: ['./test/global-setup.ts', './test/prisma-setup.ts'],
        },
      },
    ],
  },
});
