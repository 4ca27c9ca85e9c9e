import { NestFactory } from '@nestjs/core';
import { CacheModule } from '../cache.module.js';
import { CacheService } from '../cache.service.js';
import { DependencyTracker } from '../dependency-tracker.js';
import { COMMAND_TIMEOUT_MS, type Connection } from './connection.js';

/**
 * Builds `CacheModule` in a Nest application context — no HTTP server, logger off — over the
 * connection, so that every command reaches the cache through the same `CacheService` an app
 * gets, and cannot drift from it. The connection is lent: the module never closes it.
 */
export async function openCache(
  conn: Connection,
  namespace: { keyPrefix: string; version: number },
) {
  const app = await NestFactory.createApplicationContext(
    CacheModule.forRoot({ redis: conn.client, commandTimeout: COMMAND_TIMEOUT_MS, ...namespace }),
    // Errors reach the caller instead of exiting the process.
    { logger: false, abortOnError: false },
  );
  return {
    cache: app.get(CacheService),
    // The one internal a command needs: `show` asks it whether an entry is still current.
    tracker: app.get(DependencyTracker),
    close: () => app.close(),
  };
}
