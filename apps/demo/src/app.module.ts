import { Module, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheModule, type EdgeCacheOptions } from 'nestjs-page-cache';
import { TypeOrmCacheInvalidation } from 'nestjs-page-cache/typeorm';
import { Author } from './blog/author.entity.js';
import { BlogModule } from './blog/blog.module.js';
import { Post } from './blog/post.entity.js';
import { StatsController } from './stats.controller.js';

/** Settings of the demo app; each defaults to an environment variable. */
export interface DemoOptions {
  /** Redis of the cache. Default `REDIS_URL`; unset (or `null`) = the per-process memory store. */
  redisUrl?: string | null;
  /** First part of every cache key. Default `CACHE_KEY_PREFIX`, else `'demo'`. */
  keyPrefix?: string;
  /** SQLite database file. Default `DATABASE_PATH`, else `':memory:'` (seeded on every start). */
  databasePath?: string;
  /** An edge cache in front of the demo (`pages.edge`), e.g. Varnish. Default: none. */
  edge?: EdgeCacheOptions;
}

/** The demo blog: SQLite through TypeORM, pages cached in Redis and cleared by entity saves. */
@Module({})
export class AppModule {
  static forRoot(options: DemoOptions = {}): DynamicModule {
    const redisUrl =
      options.redisUrl === undefined ? process.env.REDIS_URL || undefined : options.redisUrl;
    return {
      module: AppModule,
      imports: [
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: options.databasePath ?? (process.env.DATABASE_PATH || ':memory:'),
          entities: [Author, Post],
          synchronize: true,
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
      // Turns TypeORM inserts, updates and removals into the cache's entity events.
      providers: [TypeOrmCacheInvalidation],
    };
  }
}
