import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MikroORM, type Options } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { MikroOrmCacheInvalidation } from 'nestjs-page-cache/mikro-orm';
import { prismaCacheInvalidation } from 'nestjs-page-cache/prisma';
import { TypeOrmCacheInvalidation } from 'nestjs-page-cache/typeorm';
import { DataSource } from 'typeorm';
import { Author } from '../blog/author.entity.js';
import { BlogStore } from '../blog/blog.store.js';
import { Post } from '../blog/post.entity.js';
import { PrismaClient as PostgresPrismaClient } from '../generated/prisma-postgresql/client.js';
import { PrismaClient as SqlitePrismaClient } from '../generated/prisma-sqlite/client.js';
import { MIKRO_ORM_ENTITIES, MikroOrmBlogStore } from './mikro-orm-blog.store.js';
import { PrismaBlogStore, type DemoPrismaClient } from './prisma-blog.store.js';
import { TypeOrmBlogStore } from './typeorm-blog.store.js';

/** The ORMs the demo runs on (`DEMO_ORM`). */
export const DEMO_ORMS = ['typeorm', 'mikro-orm', 'prisma'] as const;
export type DemoOrm = (typeof DEMO_ORMS)[number];

/** Where the data lives: PostgreSQL when `postgresUrl` is set, else the SQLite file (or memory). */
export interface DemoDatabase {
  postgresUrl?: string;
  sqlitePath: string;
}

const PRISMA = Symbol('PrismaClient');

/** Closes MikroORM with the app (`@mikro-orm/nestjs` would; it does not support Nest 12). */
@Injectable()
class MikroOrmShutdown implements OnApplicationShutdown {
  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close();
  }
}

@Injectable()
class PrismaShutdown implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: { $disconnect(): Promise<void> }) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

/**
 * The `BlogStore` of one ORM, with that ORM's cache integration registered as the README shows:
 * TypeORM's subscriber, MikroORM's providers (registered by hand) and its subscriber, or the
 * Prisma client extended by `prismaCacheInvalidation`.
 */
@Module({})
export class DemoOrmModule {
  static forRoot(orm: DemoOrm, database: DemoDatabase): DynamicModule {
    const base = { module: DemoOrmModule, global: true, exports: [BlogStore] };
    const { postgresUrl, sqlitePath } = database;
    if (orm === 'typeorm') {
      return {
        ...base,
        imports: [
          TypeOrmModule.forRoot({
            ...(postgresUrl
              ? { type: 'postgres', url: postgresUrl }
              : { type: 'better-sqlite3', database: sqlitePath }),
            entities: [Author, Post],
            synchronize: true,
          }),
        ],
        providers: [
          // Turns TypeORM inserts, updates and removals into the cache's entity events.
          TypeOrmCacheInvalidation,
          {
            provide: BlogStore,
            useFactory: (dataSource: DataSource) => new TypeOrmBlogStore(dataSource),
            inject: [DataSource],
          },
        ],
      };
    }
    if (orm === 'mikro-orm') {
      return {
        ...base,
        providers: [
          {
            provide: MikroORM,
            useFactory: () =>
              MikroORM.init({
                ...((postgresUrl
                  ? { driver: PostgreSqlDriver, clientUrl: postgresUrl }
                  : { driver: BetterSqliteDriver, dbName: sqlitePath }) as Options),
                entities: MIKRO_ORM_ENTITIES,
                // The integration's outbox table is not an entity: schema updates leave it alone.
                schemaGenerator: { skipTables: ['page_cache_outbox'] },
              }),
          },
          MikroOrmShutdown,
          // Turns MikroORM flushes (and native writes) into the cache's entity events.
          MikroOrmCacheInvalidation,
          {
            provide: BlogStore,
            useFactory: (mikroOrm: MikroORM) => new MikroOrmBlogStore(mikroOrm),
            inject: [MikroORM],
          },
        ],
      };
    }
    return {
      ...base,
      providers: [
        {
          provide: PRISMA,
          useFactory: (events: EventEmitter2) => {
            const client = postgresUrl
              ? new PostgresPrismaClient({
                  adapter: new PrismaPg({ connectionString: postgresUrl }),
                })
              : new SqlitePrismaClient({ adapter: new PrismaBetterSqlite3({ url: sqlitePath }) });
            // Turns every Prisma write into the cache's entity events.
            return client.$extends(prismaCacheInvalidation(events));
          },
          inject: [EventEmitter2],
        },
        PrismaShutdown,
        {
          provide: BlogStore,
          useFactory: (prisma: DemoPrismaClient) =>
            new PrismaBlogStore(prisma, postgresUrl ? 'postgresql' : 'sqlite'),
          inject: [PRISMA],
        },
      ],
    };
  }
}
