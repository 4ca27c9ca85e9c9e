// `nest new`'s src/main.ts (Nest 12, ESM), as generated. The quick start's blocks supply
// ./app.module.js and what it imports.
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(process.env.PORT ?? 3000);
}
await bootstrap();
