import { Module, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CacheModule, type EdgeCacheOptions } from 'nestjs-page-cache';
import { BlogModule } from './blog/blog.module.js';
import { DEMO_ORMS, DemoOrmModule, type DemoOrm } from './orm/demo-orm.module.js';
import { StatsController } from './stats.controller.js';

/** Settings of the demo app; each defaults to an environment variable. */
export interface DemoOptions {
  /** Redis of the cache. Default `REDIS_URL`; unset (or `null`) = the per-process memory store. */
  redisUrl?: string | null;
  /** First part of every cache key. Default `CACHE_KEY_PREFIX`, else `'demo'`. */
  keyPrefix?: string;
  /** SQLite database file. Default `DATABASE_PATH`, else `':memory:'` (seeded on every start). */
  databasePath?: string;
  /** PostgreSQL instead of SQLite (`postgres://…`). Default `DATABASE_URL`. */
  databaseUrl?: string;
  /** The ORM: `typeorm`, `mikro-orm` or `prisma`. Default `DEMO_ORM`, else `typeorm`. */
  orm?: DemoOrm;
  /** An edge cache in front of the demo (`pages.edge`), e.g. Varnish. Default: none. */
  edge?: EdgeCacheOptions;
}

/**
 * The demo blog: SQLite (or PostgreSQL) through TypeORM, MikroORM or Prisma, pages cached in Redis
 * and cleared by the ORM's saves.
 */
@Module({})
export class AppModule {
  static forRoot(options: DemoOptions = {}): DynamicModule {
    const redisUrl =
      options.redisUrl === undefined ? process.env.REDIS_URL || undefined : options.redisUrl;
    return {
      module: AppModule,
      imports: [
        EventEmitterModule.forRoot(),
        DemoOrmModule.forRoot(ormOf(options.orm ?? process.env.DEMO_ORM), {
          postgresUrl: options.databaseUrl ?? (process.env.DATABASE_URL || undefined),
          sqlitePath: options.databasePath ?? (process.env.DATABASE_PATH || ':memory:'),
        }),
        CacheModule.forRoot({
          // Without a URL the cache keeps pages in this process's memory, and says so at startup.
          ...(redisUrl ? { redis: redisUrl } : {}),
          keyPrefix: options.keyPrefix ?? (process.env.CACHE_KEY_PREFIX || 'demo'),
          ttl: '10m',
          isGlobal: true,
          // Saving the (notional) site settings would clear every page.
          defaultModels: ['SiteSettings'],
          ...(options.edge ? { pages: { edge: options.edge } } : {}),
        }),
        BlogModule,
      ],
      // GET /stats: the cache's hit rate per view, as HTML.
      controllers: [StatsController],
    };
  }
}

function ormOf(name: string | undefined): DemoOrm {
  if (name === undefined || name === '') return 'typeorm';
  if ((DEMO_ORMS as readonly string[]).includes(name)) return name as DemoOrm;
  throw new Error(`Unknown DEMO_ORM ${JSON.stringify(name)}: expected ${DEMO_ORMS.join(', ')}.`);
}
