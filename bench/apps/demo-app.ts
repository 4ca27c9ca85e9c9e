// The demo blog (apps/demo) as the real-page scenario runs it: its own module, SQLite in memory
// (seeded at startup), pages cached in the runner's Redis, on either adapter:
//   node --import ./test/support/ts-register.mjs bench/apps/demo-app.ts --adapter express|fastify
// `GET /__bench/limit` answers the body of `GET /posts` (as the handler renders it, read once at
// startup) pre-serialized, as a Buffer: the best this app can do for that page on that adapter.
import {
  Controller,
  Get,
  Module,
  Res,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
import type { Response } from 'express';
import type { FastifyReply } from 'fastify';
import { BYPASS_HEADERS } from './constants.js';
import { adapterArg, redisUrl, serve } from './serve.js';

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

/** The page of `GET /posts`, read through the handler once the app listens. */
let page: { body: Buffer; type: string } | undefined;

@Controller('__bench')
class LimitController {
  @Get('limit')
  limit(@Res() res: Response | FastifyReply): void {
    if (!page) throw new Error('the page was not read yet');
    if ('setHeader' in res) {
      res.setHeader('content-type', page.type);
      res.end(page.body);
    } else {
      void res.header('content-type', page.type).send(page.body);
    }
  }
}

// Loaded by path rather than imported, so that the benchmark builds whatever state the demo is in.
const appModule = '../../apps/demo/src/app.module.js';
const appSetup = '../../apps/demo/src/app.setup.js';
const { AppModule } = (await import(appModule)) as DemoModules;
const setup = (await import(appSetup).catch(() => ({}))) as Partial<DemoModules>;

@Module({})
class BenchDemoModule {}

const adapter = adapterArg();
const app = await serve(
  {
    module: BenchDemoModule,
    imports: [
      AppModule.forRoot({
        redisUrl: redisUrl(),
        keyPrefix: 'bench-demo',
        databasePath: ':memory:',
      }),
    ],
    controllers: [LimitController],
  },
  adapter,
  nest => {
    // The view engine is Express's; the list page is JSON, the same on both adapters.
    if (adapter === 'express') setup.configureApp?.(nest);
  },
);
const response = await fetch(`${await app.getUrl()}/posts`.replace('[::1]', '127.0.0.1'), {
  headers: BYPASS_HEADERS,
});
page = {
  body: Buffer.from(await response.arrayBuffer()),
  type: response.headers.get('content-type') ?? 'application/json',
};
