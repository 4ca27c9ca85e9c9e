import type { NestExpressApplication } from '@nestjs/platform-express';
import { fileURLToPath } from 'node:url';

/**
 * The templates: apps/demo/views, next to src/ — found from this file, so from the sources (tests)
 * and from dist/apps/demo/src (`npm run build` copies the views to dist/apps/demo/views).
 */
export const VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url));

/** Settings of the HTTP app, shared by main.ts and the tests. */
export function configureApp<T extends NestExpressApplication>(app: T): T {
  app.setBaseViewsDir(VIEWS_DIR);
  app.setViewEngine('ejs');
  app.disable('x-powered-by');
  return app;
}
