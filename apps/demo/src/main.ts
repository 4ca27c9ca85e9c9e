import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';

const app = configureApp(await NestFactory.create<NestExpressApplication>(AppModule.forRoot()));
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port);
new Logger('Demo').log(
  `Blog running at http://localhost:${port}/ (JSON: /posts, /posts/1; cache statistics: /stats)`,
);
