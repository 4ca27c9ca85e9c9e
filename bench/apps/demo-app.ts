// The demo blog (apps/demo) as the real-page scenario runs it: its own module, SQLite in memory
// (seeded at startup), pages cached in the runner's Redis.
//   node --import ./test/support/ts-register.mjs bench/apps/demo-app.ts
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { redisUrl, serve } from './serve.js';

/** What the scenario needs from apps/demo/src/app.module.ts and app.setup.ts. */
interface DemoModules {
  AppModule: {
    forRoot(options: {
      redisUrl?: string | null;
      keyPrefix?: string;
      databasePath?: string;
    }): DynamicModule;
  };
  configureApp?: (app: INestApplication) => INestApplication;
}

// Loaded by path rather than imported, so that the benchmark builds whatever state the demo is in.
const appModule = '../../apps/demo/src/app.module.js';
const appSetup = '../../apps/demo/src/app.setup.js';
const { AppModule } = (await import(appModule)) as DemoModules;
const setup = (await import(appSetup).catch(() => ({}))) as Partial<DemoModules>;

await serve(
  AppModule.forRoot({ redisUrl: redisUrl(), keyPrefix: 'bench-demo', databasePath: ':memory:' }),
  'express',
  app => {
    setup.configureApp?.(app);
  },
);
