import type { INestApplication, LoggerService } from '@nestjs/common';

/**
 * Makes the app log through a collector: returns the warnings it receives (errors are printed as
 * usual). Call it from `startApp`'s configure callback.
 */
export function collectWarnings(app: INestApplication): string[] {
  const warnings: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    warn: (message: unknown) => void warnings.push(String(message)),
    error: (message: unknown, ...rest: unknown[]) => console.error(message, ...rest),
  };
  app.useLogger(logger);
  return warnings;
}
