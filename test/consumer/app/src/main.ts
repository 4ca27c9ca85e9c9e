import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import ejs from 'ejs';
import { fileURLToPath } from 'node:url';
import { AppModule } from './app.module.js';

const views = fileURLToPath(new URL('../views', import.meta.url));

/** Boots on the adapter ADAPTER names, with views set up as the README says, on a free port. */
async function bootstrap(): Promise<INestApplication> {
  const options = { logger: ['error' as const, 'warn' as const] };
  if (process.env.ADAPTER === 'fastify') {
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule,
      new FastifyAdapter(),
      options,
    );
    app.setViewEngine({ engine: { ejs }, templates: views });
    return app;
  }
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule,
    new ExpressAdapter(),
    options,
  );
  app.setBaseViewsDir(views);
  app.setViewEngine('ejs');
  return app;
}

const app = await bootstrap();
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
console.log(`listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
